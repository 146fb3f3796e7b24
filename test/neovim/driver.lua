-- Driven by test/neovim.test.ts: nvim --headless -u NONE -l-less, via -c "luafile".
-- Environment: MAPCTX_CONFIG (mapctx.lua), MAPCTX_SERVER, MAPCTX_ROOT, MAPCTX_RESULT.
-- Writes a JSON report of each step to MAPCTX_RESULT and quits.
local env = function(name)
  local v = os.getenv(name)
  assert(v and v ~= "", name .. " is not set")
  return v
end

local root = env("MAPCTX_ROOT")
local result_file = env("MAPCTX_RESULT")
local report = { steps = {} }

local function finish()
  local f = assert(io.open(result_file, "w"))
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qa!")
end

local function step(name, ok, detail)
  table.insert(report.steps, { name = name, ok = ok and true or false, detail = detail or "" })
  return ok
end

-- Records every publishDiagnostics, then hands it to Neovim's own handler.
local published = {}
-- The document version of the latest diagnostics per uri (nil: a closed file's, from disk).
local published_version = {}
local default_publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
local handlers = {
  ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
    published[result.uri] = #result.diagnostics
    published_version[result.uri] = result.version
    return default_publish(err, result, ctx, config)
  end,
}

local ok, err = pcall(function()
  vim.cmd("filetype on")
  local mapctx = dofile(env("MAPCTX_CONFIG"))
  mapctx.setup({ server = env("MAPCTX_SERVER"), root_dir = root, handlers = handlers })

  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/svc/handlers.go"))
  local buf = vim.api.nvim_get_current_buf()
  local function mapctx_diagnostics(b)
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(b)) do
      if d.source == "mapctx" then
        table.insert(out, d)
      end
    end
    return out
  end

  local arrived = vim.wait(20000, function()
    return #mapctx_diagnostics(buf) > 0
  end, 20)
  local first = mapctx_diagnostics(buf)
  local lines = {}
  for _, d in ipairs(first) do
    table.insert(lines, d.lnum)
  end
  if not step("diagnostics for the open file", arrived, vim.fn.json_encode(lines)) then
    return
  end

  -- Fix the finding: replace the line of the first diagnostic with a read.
  local target = first[1].lnum
  local before_count = #first
  vim.api.nvim_buf_set_lines(buf, target, target + 1, false, { "\t_ = r" })
  local gone = vim.wait(20000, function()
    local now = mapctx_diagnostics(buf)
    if #now >= before_count then
      return false
    end
    for _, d in ipairs(now) do
      if d.lnum == target then
        return false
      end
    end
    return true
  end, 20)
  step("the finding disappears after the edit", gone, tostring(#mapctx_diagnostics(buf)) .. " left")

  local worker = vim.uri_from_fname(root .. "/jobs/worker.go")
  local unopened = vim.wait(20000, function()
    return (published[worker] or 0) > 0
  end, 20)
  local count = #mapctx_diagnostics(vim.uri_to_bufnr(worker))
  step("diagnostics for an unopened file", unopened and count > 0, "published " .. tostring(published[worker]) .. ", vim.diagnostic.get " .. count)

  -- A quick fix through the LSP client: code actions for the first finding of
  -- web/keys.go, the preferred one applied as Neovim applies any WorkspaceEdit.
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/web/keys.go"))
  local kbuf = vim.api.nvim_get_current_buf()
  local kuri = vim.uri_from_bufnr(kbuf)
  -- The scan's diagnostics from disk are shown at once; the fixes come with the open buffer's analysis.
  local shown = vim.wait(20000, function()
    return published_version[kuri] ~= nil and #mapctx_diagnostics(kbuf) > 0
  end, 20)
  if not step("diagnostics for the file to fix", shown, "") then
    return
  end
  local diags = mapctx_diagnostics(kbuf)
  table.sort(diags, function(a, b)
    return a.lnum < b.lnum
  end)
  local lnum = diags[1].lnum
  -- The diagnostics of the line in LSP form (UTF-16 ranges), as a client puts them in the context.
  local line_diags = vim.lsp.diagnostic.get_line_diagnostics(kbuf, lnum)
  local range = line_diags[1] and line_diags[1].range
    or { start = { line = lnum, character = 0 }, ["end"] = { line = lnum + 1, character = 0 } }
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(kbuf),
    range = range,
    context = { diagnostics = line_diags },
  }
  local responses = vim.lsp.buf_request_sync(kbuf, "textDocument/codeAction", params, 10000) or {}
  local chosen, titles = nil, {}
  for _, resp in pairs(responses) do
    for _, action in ipairs(resp.result or {}) do
      table.insert(titles, action.title)
      if action.title == env("MAPCTX_FIX_TITLE") and not chosen then
        chosen = action
      end
    end
  end
  if not step("a quick fix is offered", chosen and chosen.isPreferred and chosen.edit, vim.fn.json_encode(titles)) then
    return
  end
  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  local text = table.concat(vim.api.nvim_buf_get_lines(kbuf, 0, -1, false), "\n") .. "\n"
  local f = assert(io.open(env("MAPCTX_EXPECTED"), "r"))
  local expected = f:read("*a")
  f:close()
  step("the quick fix gives the engine's text", text == expected, text)
  local fixed = vim.wait(20000, function()
    for _, d in ipairs(mapctx_diagnostics(kbuf)) do
      if d.lnum == lnum then
        return false
      end
    end
    return true
  end, 20)
  step("the fixed finding disappears", fixed, tostring(#mapctx_diagnostics(kbuf)) .. " left")
end)

if not ok then
  step("driver error", false, tostring(err))
end
finish()
