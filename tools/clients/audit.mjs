// Runs graphql-http's GraphQL-over-HTTP audit (auditServer) against a
// running gateway and exits non-zero unless every result is ok: MUSTs,
// SHOULDs and MAYs alike. The gateway needs a space and a token on every
// request, so each of the audit's requests carries them.
//
//   GATEWAY_URL=http://127.0.0.1:8080 node audit.mjs
//
// GATEWAY_SPACE and GATEWAY_TOKEN default to the demo's.
import { auditServer } from 'graphql-http';

const base = process.env.GATEWAY_URL;
if (!base) {
  console.error('GATEWAY_URL is not set (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const space = process.env.GATEWAY_SPACE ?? 'demo-space';
const token = process.env.GATEWAY_TOKEN ?? 'demo-token';

// fetchWithCredentials adds the gateway's headers and leaves every other
// header as the audit set it.
function fetchWithCredentials(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('SPACE_GUID', space);
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url: `${base}/graphql`, fetchFn: fetchWithCredentials });

const counts = { MUST: {}, SHOULD: {}, MAY: {} };
for (const r of results) {
  const level = r.name.split(' ')[0];
  counts[level] ??= {};
  counts[level][r.status] = (counts[level][r.status] ?? 0) + 1;
}
const ok = results.filter((r) => r.status === 'ok').length;
const failed = results.filter((r) => r.status !== 'ok');
for (const r of failed) {
  let body = '';
  try {
    body = (await r.response.text()).trim().slice(0, 300);
  } catch {
    // The body may have been read by the audit already.
  }
  console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}`);
  if (r.response) console.log(`  HTTP ${r.response.status} ${body}`);
}
for (const [level, c] of Object.entries(counts)) {
  const n = (status) => c[status] ?? 0;
  console.log(`${level}: ${n('ok')} ok, ${n('notice')} notice, ${n('warn')} warn, ${n('error')} error`);
}
console.log(`graphql-http audit: ${ok}/${results.length} ok`);
if (results.length === 0 || failed.length > 0) process.exit(1);
