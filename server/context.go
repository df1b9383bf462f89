package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

func contextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

func asError(err error, target **aspire.Error) bool { return errors.As(err, target) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
