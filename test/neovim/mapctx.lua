-- mapctx in Neovim 0.7+ with the built-in LSP client (no plugins needed).
--
--   local mapctx = dofile("/path/to/mapctx/test/neovim/mapctx.lua")
--   mapctx.setup({ server = "/path/to/mapctx/dist/server.js" })
--
-- Every Go buffer attaches to one mapctx server for the current directory;
-- the server scans the whole workspace, so files you have not opened get
-- diagnostics too (see :lua vim.diagnostic.setqflist()).
local M = {}

function M.setup(opts)
  opts = opts or {}
  local server = opts.server or "dist/server.js"
  local root = opts.root_dir or vim.fn.getcwd()
  local client_id = nil

  local function start()
    if client_id and vim.lsp.get_client_by_id(client_id) then
      return client_id
    end
    client_id = vim.lsp.start_client({
      name = "mapctx",
      cmd = { opts.node or "node", "--v8-pool-size=0", server, "--stdio" },
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      -- The same keys as the VS Code settings, without the "mapctx." prefix.
      settings = { mapctx = opts.settings or {} },
      handlers = opts.handlers,
    })
    return client_id
  end

  vim.api.nvim_create_autocmd("FileType", {
    pattern = "go",
    callback = function(args)
      local id = start()
      if id then
        vim.lsp.buf_attach_client(args.buf, id)
      end
    end,
  })
  return start
end

return M
