package aspire

import (
	"encoding/json"

	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// DecodePosts decodes a /v1/posts list body under c as the client does.
func DecodePosts(c *contract.Contract, body []byte) ([]Post, *int, error) {
	l, err := decodeList[Post](compile(c), wire.PathPosts, body, json.Unmarshal)
	return l.Rows, l.Total, err
}
