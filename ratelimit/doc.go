// Package ratelimit keeps the gateway's rate limits where every replica of
// a deployment sees the same ones: the vendor's per-account REST budget,
// the per-client inbound request limit and the failed-authentication
// throttle. With one replica they live in memory (the platformapi budget's
// own token bucket, and NewMemory); with several, in Redis (Store), so that
// N replicas together send an account at most its budget instead of N
// times it.
//
// In Redis, each limit is one key holding a GCRA "theoretical arrival
// time", taken atomically in one round trip by
// github.com/go-redis/redis_rate (a maintained limiter on go-redis; its
// Lua script reads Redis's own clock, so the replicas' clocks do not
// matter). A key expires once its limit is back to full, so idle clients
// cost nothing.
//
// # Redis down or slow
//
// Every Redis command is bounded by Options.Timeout. The first that fails
// (refused, timed out, a failover's READONLY) puts the store in the
// degraded state: it is logged once, reported by Degraded and
// Options.OnChange (for metrics and /readyz, which stays ready), and from
// then on no limit asks Redis at all, so no request waits for it. Each
// limit falls back to a local one:
//
//   - an account's REST budget to its share: the budget divided by the
//     number of replicas the operator runs, burst likewise (at least 1),
//     starting empty, so that the replicas together stay within the
//     vendor's limit without talking to each other;
//   - the keyed limits to the fallback the caller gives (the gateway gives
//     the inbound limit the full allowance per replica, so that no client
//     is refused because Redis is down, and the authentication throttle
//     its share, so that an outage gives a guesser no more tries).
//
// A background probe runs the same script every Options.ProbeInterval; at
// its first success the store leaves the degraded state (logged once) and
// every limit uses Redis again. A Redis restarted empty needs nothing: the
// script is loaded again on NOSCRIPT and a missing key is a full limit.
//
// # The budget across a switch
//
// One shared GCRA of rate r and burst b lets through at most b + r·t calls
// in any span of t seconds. Going down costs nothing beyond that: Redis
// grants nothing once it is gone, and each fallback starts empty. Coming
// back can add up to one local burst per replica (replicas × the share's
// burst, 3 calls with the defaults and three replicas) in the second
// around the switch, which the vendor's own burst (10) absorbs. A replica
// cut off from a Redis that the others still reach adds its share on top
// of the shared budget for as long as that lasts: not bounded here.
//
// # Fairness across replicas
//
// Within a replica, calls are queued and served by the platformapi
// budget's hierarchical round-robin as with one replica. Across replicas,
// each replica with calls waiting asks Redis when the next token is due
// and they race for it, so the budget is shared about equally between the
// replicas that have calls waiting, whatever each one's queue: a small
// attach sent to one replica is not stuck behind a large one on another
// (it waits for a few tokens, not for the large one's queue). A client
// spread over several replicas gets one share on each, where on one
// replica it would have one share in all.
package ratelimit
