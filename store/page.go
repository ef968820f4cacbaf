package store

import (
	"fmt"
	"strconv"
)

// Offset pages of the small lists (organisations, policies), the same on every engine.

// PageOffset reads an offset page token ("" is the first page) and checks the limit.
func PageOffset(token string, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("%w: a page holds at least one item", ErrInvalid)
	}
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: bad page token", ErrInvalid)
	}
	return n, nil
}

// NextPage is the token after a page read from offset with limit+1 rows asked for and
// got rows returned; "" on the last page.
func NextPage(offset, limit, got int) string {
	if got > limit {
		return strconv.Itoa(offset + limit)
	}
	return ""
}
