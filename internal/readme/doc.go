// Package readme holds the test that runs the README's shell blocks as written, in
// order, against a fresh paymixd: every line a new user copies must work.
package readme
