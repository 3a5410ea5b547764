#!/usr/bin/env bash
# Re-vendors the GraphiQL assets from the npm registry. Run from this
# directory; then update the versions in README.md and ../graphiql.go.
set -euo pipefail
GRAPHIQL=4.1.2 REACT=18.3.1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for p in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
  mkdir -p "$tmp/$p" && tar xzf "$tmp/$p.tgz" -C "$tmp/$p"
done
cp "$tmp/graphiql-$GRAPHIQL/package/dist/index.umd.js" "graphiql-$GRAPHIQL.min.js"
cp "$tmp/graphiql-$GRAPHIQL/package/dist/style.css" "graphiql-$GRAPHIQL.min.css"
cp "$tmp/graphiql-$GRAPHIQL/package/LICENSE" LICENSE.graphiql
cp "$tmp/react-$REACT/package/umd/react.production.min.js" "react-$REACT.production.min.js"
cp "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" "react-dom-$REACT.production.min.js"
cp "$tmp/react-$REACT/package/LICENSE" LICENSE.react
sha256sum ./*.min.js ./*.min.css
