// Preloaded (node --import) into every server a test starts. When the test process dies without
// stopping it (tap kills a file past its timeout with SIGKILL, and a killed process runs no
// teardown), the server would run on as an orphan for the rest of the suite, taking CPU and
// database connections from the files after it. An orphan is adopted by another process, so a
// changed parent pid is the signal.
import process from 'node:process'
import { setInterval } from 'node:timers'

const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.exit(1)
}, 500).unref()
