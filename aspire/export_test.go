package aspire

import (
	"github.com/aspire-graphql/aspire-graphql/aspire/contract"
	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// DecodePosts decodes a /v1/posts list body under c as the client does.
func DecodePosts(c *contract.Contract, body []byte) ([]Post, *int, error) {
	l, err := decodeList[Post](compile(c), wire.PathPosts, body, decodeRecords)
	return l.Rows, l.Total, err
}

// DecodeRecords is the client's decoder of record pages.
var DecodeRecords = decodeRecords

// WireFormat is a contract compiled for the client.
type WireFormat = wireFormat

// Compile compiles c as the client does.
func Compile(c *contract.Contract) *WireFormat { return compile(c) }

// DecodeRows decodes a list body of endpoint under wf with dec, as the client
// does.
func DecodeRows[T any](wf *WireFormat, endpoint string, body []byte, dec func([]byte, any) error) ([]T, *int, error) {
	l, err := decodeList[T](wf, endpoint, body, dec)
	return l.Rows, l.Total, err
}

// DecodeRecord decodes a by-id body of endpoint under wf with dec, as the
// client does.
func DecodeRecord[T any](wf *WireFormat, endpoint string, body []byte, dec func([]byte, any) error) (T, error) {
	return decodeOne[T](wf, endpoint, body, dec, nil)
}
