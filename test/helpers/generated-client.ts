// Building a client generated from the contract the way its user's build would: in a scratch
// folder inside the repository (so the generated code resolves its runtime package from
// node_modules), type-checked strictly, and transpiled to JavaScript to run (the suite runs
// compiled, with no TypeScript loader).
import type { Test } from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import ts from 'typescript'

export async function scratchFolder(t: Test, prefix: string): Promise<string> {
  await mkdir(path.resolve('.data'), { recursive: true })
  const dir = await mkdtemp(path.resolve('.data', prefix))
  t.teardown(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** tsc's strict diagnostics for `entry` and everything it imports. */
export function typeErrors(entry: string): string[] {
  const program = ts.createProgram([entry], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: []
  })
  return ts.getPreEmitDiagnostics(program).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

/** Writes `source` transpiled to an ES module at `file`; type-only imports are dropped. */
export async function writeTranspiled(source: string, file: string): Promise<void> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }
  })
  await writeFile(file, outputText)
}
