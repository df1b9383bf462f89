// Package deploy holds the deployment files (compose.yaml, compose/, k8s/)
// and the tests that check them: every manifest decodes strictly into the
// Kubernetes and Compose types and passes only settings the server's
// settings table accepts; the Dockerfile is built and run with podman
// (alone, as replicas sharing Redis, as the Kubernetes Deployment); the
// Compose file's Prometheus configuration passes promtool. It has no code;
// a test whose tool is missing is skipped.
package deploy
