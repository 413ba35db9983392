package guest

import (
	"fmt"
	"strconv"
	"strings"
)

// ListenFDsEnv names the variable in which wk announces listeners.
const ListenFDsEnv = "WK_LISTEN_FDS"

// listenFD finds port in a WK_LISTEN_FDS value.
func listenFD(env string, port int) (int, error) {
	for entry := range strings.SplitSeq(env, ",") {
		p, fd, ok := strings.Cut(entry, "=")
		if !ok || p != strconv.Itoa(port) {
			continue
		}
		n, err := strconv.Atoi(fd)
		if err != nil {
			return 0, fmt.Errorf("listen on %d: %s=%q: bad descriptor", port, ListenFDsEnv, env)
		}
		return n, nil
	}
	return 0, fmt.Errorf("listen on %d: port not in %s=%q", port, ListenFDsEnv, env)
}
