// Real GraphQL client libraries against a running demo gateway
// (GATEWAY_URL), each as its users configure it: Apollo Client, urql over
// POST and over GET, and graphql-request. For each: the vendor's attach
// mutation with variables, an environments query that shows the
// attachment, unattach, a bad token (surfaced the library's own way), and
// an introspection round trip through graphql-js.
//
//   GATEWAY_URL=http://127.0.0.1:8080 node --test clients.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildClientSchema, getIntrospectionQuery, printSchema, validateSchema } from 'graphql';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError, gql } from '@apollo/client';
import { Client as UrqlClient, CombinedError, cacheExchange, fetchExchange } from '@urql/core';
import { ClientError, GraphQLClient } from 'graphql-request';

const base = process.env.GATEWAY_URL;
assert.ok(base, 'GATEWAY_URL is not set (e.g. http://127.0.0.1:8080)');
const url = `${base}/graphql`;
const space = process.env.GATEWAY_SPACE ?? 'demo-space';
const token = process.env.GATEWAY_TOKEN ?? 'demo-token';
const headers = (bearer) => ({ SPACE_GUID: space, Authorization: `Bearer ${bearer}` });

// The demo's multi-install instance of the README's examples.
const instance = 'SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng';

// The vendor's operations, as its clients write them; attach takes its
// input as a variable.
const ATTACH = `mutation attachIpackInstance($input: IntegrationPackEnvironmentAttachmentInput!) {
  integrationPackInstanceEnvironmentAttachmentAttach(input: $input) {
    id environmentId integrationPackInstanceId environmentExtensions
  }
}`;
const UNATTACH = `mutation unattachIpackInstance($id: ID!) {
  integrationPackInstanceEnvironmentAttachmentUnattach(id: $id)
}`;
const ENVIRONMENTS = `query env {
  environments {
    id name classification
    integrationPackEnvironmentAttachment { id environmentId integrationPackInstanceId }
  }
}`;

// recordingFetch is the global fetch, noting each request's method and
// Accept header so that a test can check what the library really sent.
function recordingFetch(log) {
  return (input, init = {}) => {
    const h = new Headers(init.headers);
    log.push({ method: init.method ?? 'GET', accept: h.get('accept'), url: String(input) });
    return fetch(input, init);
  };
}

// Each client is driven through the same three calls; its bad-token test
// is its own, since each library reports an HTTP error differently.
const clients = [
  {
    name: 'Apollo Client',
    environment: '86b413a8-1ebf-4c95-bc5b-139573b77910', // the README's, whose attachment id it shows
    make(bearer, log) {
      const client = new ApolloClient({
        link: new HttpLink({ uri: url, headers: headers(bearer), fetch: recordingFetch(log) }),
        cache: new InMemoryCache(),
      });
      return {
        async query(doc, variables) {
          const { data } = await client.query({ query: gql(doc), variables, fetchPolicy: 'network-only' });
          return data;
        },
        async mutate(doc, variables) {
          const { data } = await client.mutate({ mutation: gql(doc), variables });
          return data;
        },
      };
    },
    async badToken(c) {
      // Apollo reads a non-2xx application/json answer as a ServerError
      // carrying the status and the body.
      await assert.rejects(c.query(ENVIRONMENTS), (err) => {
        assert.ok(ServerError.is(err), `want a ServerError, got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.statusCode, 401);
        assert.equal(JSON.parse(err.bodyText).errors[0].extensions.code, 'UNAUTHORIZED');
        return true;
      });
    },
    checkSent(log) {
      // Apollo Client 4's default Accept prefers the GraphQL response type.
      assert.ok(log.every((r) => r.method === 'POST'));
      assert.ok(log.every((r) => r.accept.startsWith('application/graphql-response+json')), JSON.stringify(log[0]));
    },
  },
  ...[
    ['urql (POST)', false, '00000000-0000-4000-8000-000000000001'],
    ['urql (GET)', 'force', '00000000-0000-4000-8000-000000000002'],
  ].map(([name, preferGetMethod, environment]) => ({
    name,
    environment,
    make(bearer, log) {
      const client = new UrqlClient({
        url,
        exchanges: [cacheExchange, fetchExchange],
        preferGetMethod,
        fetchOptions: { headers: headers(bearer) },
        fetch: recordingFetch(log),
      });
      const result = ({ data, error }) => {
        if (error) throw error;
        return data;
      };
      return {
        query: async (doc, variables) => result(await client.query(doc, variables, { requestPolicy: 'network-only' }).toPromise()),
        mutate: async (doc, variables) => result(await client.mutation(doc, variables).toPromise()),
      };
    },
    async badToken(c) {
      // urql resolves with a CombinedError holding the answer's errors.
      await assert.rejects(c.query(ENVIRONMENTS), (err) => {
        assert.ok(err instanceof CombinedError, `want a CombinedError, got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.response?.status, 401);
        assert.equal(err.graphQLErrors[0]?.extensions?.code, 'UNAUTHORIZED', err.message);
        return true;
      });
    },
    checkSent(log) {
      // With preferGetMethod the four queries went as GETs, the two
      // mutations as POSTs; without it, all six as POSTs.
      const methods = log.map((r) => r.method).sort().join(' ');
      assert.equal(methods, preferGetMethod ? 'GET GET GET GET POST POST' : 'POST POST POST POST POST POST');
      assert.ok(log.every((r) => r.accept.startsWith('application/graphql-response+json')));
    },
  })),
  {
    name: 'graphql-request',
    environment: '00000000-0000-4000-8000-000000000003',
    make(bearer, log) {
      const client = new GraphQLClient(url, { headers: headers(bearer), fetch: recordingFetch(log) });
      return {
        query: (doc, variables) => client.request(doc, variables),
        mutate: (doc, variables) => client.request(doc, variables),
      };
    },
    async badToken(c) {
      // graphql-request throws a ClientError with the response.
      await assert.rejects(c.query(ENVIRONMENTS), (err) => {
        assert.ok(err instanceof ClientError, `want a ClientError, got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.response.status, 401);
        assert.equal(err.response.errors?.[0]?.extensions?.code, 'UNAUTHORIZED');
        return true;
      });
    },
    checkSent(log) {
      assert.ok(log.every((r) => r.method === 'POST'));
      assert.ok(log.every((r) => r.accept === 'application/graphql-response+json, application/json'), log[0].accept);
    },
  },
];

// attachmentsOf returns the attachments an environments answer shows in env.
function attachmentsOf(data, env) {
  const e = data.environments.find((x) => x.id === env);
  assert.ok(e, `environment ${env} is not in the answer`);
  return e.integrationPackEnvironmentAttachment;
}

const schemas = new Map();

for (const lib of clients) {
  test(lib.name, async (t) => {
    const log = [];
    const c = lib.make(token, log);

    await t.test('attach with variables, environments, unattach', async () => {
      const before = attachmentsOf(await c.query(ENVIRONMENTS), lib.environment);
      assert.deepEqual(before, [], 'the environment starts with no attachment');

      const attached = await c.mutate(ATTACH, { input: { integrationPackInstanceId: instance, environmentIds: [lib.environment] } });
      const list = attached.integrationPackInstanceEnvironmentAttachmentAttach;
      assert.equal(list.length, 1);
      const [a] = list;
      assert.equal(a.environmentId, lib.environment);
      assert.equal(a.integrationPackInstanceId, instance);
      assert.ok(a.id, 'the attachment has an id');
      if (lib.environment === '86b413a8-1ebf-4c95-bc5b-139573b77910') {
        // The unattach example in docs/operations.md takes this very id.
        assert.equal(a.id, 'QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA');
      }

      const shown = attachmentsOf(await c.query(ENVIRONMENTS), lib.environment);
      assert.deepEqual(
        shown.map(({ id, environmentId, integrationPackInstanceId }) => ({ id, environmentId, integrationPackInstanceId })),
        [{ id: a.id, environmentId: lib.environment, integrationPackInstanceId: instance }],
      );

      const unattached = await c.mutate(UNATTACH, { id: a.id });
      assert.equal(unattached.integrationPackInstanceEnvironmentAttachmentUnattach, a.id);
      assert.deepEqual(attachmentsOf(await c.query(ENVIRONMENTS), lib.environment), []);
    });

    await t.test('a bad token is an error the library surfaces', async () => {
      await lib.badToken(lib.make('not-the-token', []));
    });

    await t.test('introspection round trip', async () => {
      // Every option, as codegen tools and schema registries send them
      // (docs/vendor-differences.md, "Introspection").
      const data = await c.query(getIntrospectionQuery({
        descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
        schemaDescription: true, inputValueDeprecation: true, oneOf: true,
      }));
      assert.equal(data.__schema.types.find((typ) => typ.name === 'Criteria')?.isOneOf, false);
      const schema = buildClientSchema(data);
      assert.deepEqual(validateSchema(schema).map(String), []);
      assert.ok(schema.getMutationType().getFields().integrationPackInstanceEnvironmentAttachmentAttach);
      assert.ok(schema.getQueryType().getFields().environments);
      schemas.set(lib.name, printSchema(schema));
    });

    await t.test('what the library sent', () => {
      // Three environments queries, attach, unattach, introspection.
      assert.equal(log.length, 6, JSON.stringify(log, null, 1));
      lib.checkSent(log);
    });
  });
}

test('every library read the same schema', () => {
  assert.equal(schemas.size, clients.length);
  const [first, ...rest] = [...schemas.values()];
  for (const s of rest) assert.equal(s, first);
});
