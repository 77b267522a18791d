// The text of `share --explain`: what was asked, which constraints applied, and for each shard where it went and why.
import { HRW_WEIGHT } from './constants.ts'
import { UNDECLARED_ZONE } from './domains.ts'
import type { PlacementConstraints, ShardReason } from './types.ts'
import type { Weights } from './weights.ts'

const f2 = (x: number): string => x.toFixed(2)
const f3 = (x: number): string => x.toFixed(3)

export function explainPlacement (request: { k: number, m: number, shardSize: number }, c: PlacementConstraints, weights: Weights, details: ShardReason[]): string[] {
  const bad = c.ineligible
  const lines = [
    `placement: RS(${request.k},${request.m}), ${details.length} shard(s) of ${request.shardSize} bytes to place; ` +
      `${c.candidates} candidate(s), ${c.eligible} eligible (${bad.excluded} excluded, ${bad.alreadyHolding} already holding a shard, ` +
      `${bad.noSpace} without space, ${bad.badFacts} with invalid facts)`,
    `constraints: <=${c.peerCap} per peer, <=${c.zoneCap} per zone over ${c.zones} zone(s)` +
      (c.ownZones > 0 ? ` (${c.ownZones} peer(s) declared no --zone: each is a failure domain of its own)` : '') +
      ` (${c.zoneLossSurvivable ? 'a zone loss is survivable' : 'a zone loss may cost more than m shards'}), ` +
      `<=${c.regionCap} per region over ${c.regions} region(s) (${c.regionLossSurvivable ? 'a region loss is survivable' : 'a region loss may cost more than m shards'})`,
    `score (lower is better) = carbon ${f2(weights.carbon)} x gCO2/TB-month / ref + latency ${f2(weights.latency)} x RTT / ref + ` +
      `balance ${f2(weights.balance)} x fill + rendezvous ${HRW_WEIGHT} x hash`
  ]
  const byPeer = new Map<string, number[]>()
  for (const d of details) byPeer.set(d.peerId, [...(byPeer.get(d.peerId) ?? []), d.index])
  const doubled = [...byPeer].filter(([, indexes]) => indexes.length > 1)
  if (doubled.length > 0) {
    lines.push(`fewer peers than shards: ${doubled.map(([peer, indexes]) => `${peer} holds shards ${indexes.join(', ')}`).join('; ')} ` +
      '(losing one of these peers loses all of its shards)')
  }
  for (const d of details) {
    const t = d.terms
    const skips = d.skipped.zoneFull + d.skipped.regionFull + d.skipped.peerFull
    lines.push(`shard ${d.index} -> ${d.peerId} (region ${d.region}, zone ${d.zone === UNDECLARED_ZONE ? 'undeclared: its own' : d.zone}): score ${f3(d.score)}; terms: ` +
      `carbon ${f3(t.carbon)} (${d.facts.carbon} gCO2/kWh, ${f2(d.facts.gco2PerTbMonth)} gCO2/TB-month), ` +
      `latency ${f3(t.latency)} (${d.facts.rttKnown ? '' : 'guessed '}${f2(d.facts.rttMs)} ms), ` +
      `balance ${f3(t.balance)} (fill ${(d.facts.fillAfter * 100).toFixed(1)}%), hash ${f3(t.hrw)}; rank ${d.rank} of ${c.eligible}` +
      (skips === 0
        ? ''
        : `; passed over ${skips} better-scored peer(s): ${d.skipped.zoneFull} zone full, ${d.skipped.regionFull} region full, ${d.skipped.peerFull} peer full`))
  }
  return lines
}
