// Entry point of the language server bundle (dist/server.js): node IPC when
// an editor forks it, `--stdio` for other clients. Everything else is in lsp/.
import { createServerConnection, startServer } from "./lsp/server";

startServer(createServerConnection(process.argv));
