package netpoll

import "github.com/panjf2000/gnet/v2/pkg/logging"

// gnetLogLevel keeps gnet's own logger to errors: its debug and info lines
// would otherwise be written for every engine start and stop.
const gnetLogLevel = logging.ErrorLevel
