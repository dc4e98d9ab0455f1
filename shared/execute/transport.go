package execute

import "net/http"

// IdleConnsPerHost is how many idle connections to one target an executor keeps for reuse.
// net/http's default of 2 suits a Lambda, which runs one action at a time; a local instance
// runs as many at once as agents send, and with 2 every action beyond the second dialled a
// fresh connection and closed it after (a dial and a TIME_WAIT socket per action).
const IdleConnsPerHost = 64

// Transport returns a fresh transport with net/http's defaults (proxy from the environment,
// dial and TLS timeouts, HTTP/2) that keeps IdleConnsPerHost idle connections per host.
func Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = IdleConnsPerHost
	return t
}
