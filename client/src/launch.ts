// How the language server's node process is started: used by the VS Code
// client, the test client and the benchmark (the Neovim snippet writes it out,
// and a meta-test checks that it does).

/**
 * Node's flags for the server. `--v8-pool-size=0` gives V8 one background
 * thread per core but one, instead of four: with more, the garbage collector's
 * and the compiler's threads take the core the server answers keystrokes on.
 * On 2 cores the keystroke round trip's p99 went from 8-11 ms to 5-9 ms, and
 * the workspace scan was no slower.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--v8-pool-size=0"];
