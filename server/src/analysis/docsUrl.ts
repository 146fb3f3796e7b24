// The address of a rule's documentation page, built in one place so the CLI
// (SARIF helpUri) and the language server (codeDescription.href) agree.
import pkg from "../../../package.json";

/** The repository's web address, from package.json (`git+` and `.git` removed). */
export function repositoryUrl(): string {
  const repo = pkg.repository as string | { url: string };
  const url = typeof repo === "string" ? repo : repo.url;
  return url
    .replace(/^git\+/, "")
    .replace(/\.git$/, "")
    .replace(/\/+$/, "");
}

/** The rule's page under docs/rules/ on the default branch. */
export function docsUrl(ruleId: string): string {
  return `${repositoryUrl()}/blob/main/docs/rules/${ruleId}.md`;
}

/** The version of mapctx from package.json. */
export const VERSION: string = pkg.version;
