package config_test

import (
	"io"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/config"
)

func TestRedisSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, _, err := config.Load("x", nil, env(nil), io.Discard)
	if err != nil || c.RedisURL != "" || c.ExpectedReplicas != 3 || c.RedisTimeout.String() != "100ms" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _, err = config.Load("x", []string{"-expected-replicas", "0"}, env(map[string]string{
		"ASPIRE_GRAPHQL_REDIS_URL": "rediss://:pw@cache.internal:6380/2"}), io.Discard)
	if err != nil || c.RedisURL != "rediss://:pw@cache.internal:6380/2" || c.ExpectedReplicas != 1 {
		t.Fatalf("set: %+v %v", c, err)
	}
	_, _, err = config.Load("x", []string{"-redis-url", "http://:s3cret@cache:6379"}, env(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "redis-url") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a bad scheme: %v", err)
	}
}
