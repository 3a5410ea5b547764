// Package kubernetes holds the gateway's Kubernetes manifests (apply them
// with kubectl apply -k deploy/kubernetes): a Deployment of two non-root
// replicas with a read-only root filesystem, liveness on /healthz and
// readiness on /readyz, a Service, the config as a ConfigMap, the REST API
// token and the Redis password as a Secret, and in redis/ the Redis through
// which the replicas share each account's REST budget.
//
// It has no code but its tests, which hold the manifests to the gateway:
// the config they ship is valid, probes and ports match it, and no more
// pods run than platform.rateLimit.replicas counts, never more than one on
// the memory store.
package kubernetes
