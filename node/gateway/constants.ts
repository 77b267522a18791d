// Gateway limits that are not flags.

/**
 * A gateway connection with no bytes moving either way for this long is closed: a client that stopped reading (or
 * never sent its request) must not hold a response slot, a stripe of memory and k holder streams forever. 60 s is
 * nginx's send_timeout and client_header_timeout default.
 */
export const GATEWAY_IDLE_TIMEOUT_MS = 60_000
