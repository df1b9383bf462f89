package graph

//go:generate go tool gqlgen generate
//go:generate go run ./internal/execpatch generated.go

// Resolver is the root resolver. It holds no per-request state: the
// request's loaders (and through them its credentialed client) travel in the
// context (loaders.For).
type Resolver struct{}
