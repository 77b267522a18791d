// Gateway limits that are not flags.

/**
 * A gateway connection with no bytes moving either way for this long is closed: a client that stopped reading (or
 * never sent its request) must not hold a response slot, a stripe of memory and k holder streams forever. 60 s is
 * nginx's send_timeout and client_header_timeout default.
 */
export const GATEWAY_IDLE_TIMEOUT_MS = 60_000

/** A client has this long to send its request line and headers (slow loris): 30 s, half of Node's default 60 s and
 *  of nginx's client_header_timeout, is minutes more than any client on any link needs for a few hundred bytes. The
 *  response has no such deadline (only GATEWAY_IDLE_TIMEOUT_MS without progress). */
export const GATEWAY_HEADERS_TIMEOUT_MS = 30_000

/** Request headers at most 16 KiB (Node's default; beyond: 431). Range and If-None-Match are the longest headers a
 *  client sends here, and MAX_RANGES bounds what a Range may ask. */
export const GATEWAY_MAX_HEADER_BYTES = 16 * 1024

/** Connections at once; Node closes more as they arrive. Responses streaming at once are bounded apart
 *  (--gateway-max-streams, 503 beyond); this bounds the idle keep-alive sockets around them. 1024 is nginx's
 *  worker_connections in its stock nginx.conf. */
export const GATEWAY_MAX_CONNECTIONS = 1024
