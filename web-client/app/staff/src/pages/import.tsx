// Importing the organisation from a spreadsheet: the template to download, a file to preview
// (what would be created, changed and left, and every error by sheet, row and column, as the
// server's planner in core finds them), and a confirmation that applies it all or nothing.

import { useState } from 'preact/hooks';
import { IMPORT_TEMPLATE_URL, importFile, type ImportPlan } from '../api';
import { href } from '../route';
import { ErrorView } from '../ui';
import { tr } from '../i18n';

const ACTION = { create: tr.actCreate, change: tr.actChange, same: tr.actSame } as const;

function Counts({ plan }: { plan: ImportPlan }) {
  return (
    <table class="table" data-testid="import-counts">
      <thead>
        <tr>
          <th>{tr.sheet}</th>
          <th class="num">{tr.actCreate}</th>
          <th class="num">{tr.actChange}</th>
          <th class="num">{tr.actSame}</th>
        </tr>
      </thead>
      <tbody>
        {plan.counts.map((c) => (
          <tr data-sheet={c.sheet}>
            <td>{c.sheet}</td>
            <td class="num">{c.created}</td>
            <td class="num">{c.changed}</td>
            <td class="num">{c.same}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Errors({ plan }: { plan: ImportPlan }) {
  return (
    <div class="panel refusal" role="alert">
      <h2>{tr.importErrors(plan.errors.length)}</h2>
      <p class="muted">{tr.importFix}</p>
      <table class="table" data-testid="import-errors">
        <thead>
          <tr>
            <th>{tr.sheet}</th>
            <th class="num">{tr.row}</th>
            <th>{tr.column}</th>
            <th>{tr.error}</th>
          </tr>
        </thead>
        <tbody>
          {plan.errors.map((e) => (
            <tr>
              <td>{e.sheet}</td>
              <td class="num">{e.row}</td>
              <td>{e.column ? `${e.column} (${e.header})` : ''}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Changes({ plan }: { plan: ImportPlan }) {
  const rows = plan.rows.filter((r) => r.action !== 'same');
  return (
    <>
      {rows.length > 0 && (
        <table class="table" data-testid="import-rows">
          <thead>
            <tr>
              <th>{tr.sheet}</th>
              <th class="num">{tr.row}</th>
              <th>{tr.action}</th>
              <th>{tr.code}</th>
              <th>{tr.name}</th>
              <th>{tr.changedColumns}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-action={r.action}>
                <td>{r.sheet}</td>
                <td class="num">{r.row}</td>
                <td>{ACTION[r.action]}</td>
                <td>{r.code}</td>
                <td>{r.name}</td>
                <td>{r.changed.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {plan.households_not_in_sheet.length > 0 && (
        <p class="muted">
          {tr.householdsNotInSheet}
          {plan.households_not_in_sheet.join(', ')}
        </p>
      )}
      {plan.members_not_in_sheet.length > 0 && (
        <p class="muted">
          {tr.membersNotInSheet}
          {plan.members_not_in_sheet.join(', ')}
        </p>
      )}
    </>
  );
}

export function ImportPage() {
  const [file, setFile] = useState<{ name: string; bytes: ArrayBuffer } | null>(null);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (apply: boolean, chosen = file) => {
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      setPlan(await importFile(chosen.name, chosen.bytes, apply));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="org import">
      <h1>{tr.importTitle}</h1>
      <p class="muted">
        {tr.importHelp}
      </p>
      <div class="panel">
        <h2>{tr.step1}</h2>
        <p>
          <a class="button" href={IMPORT_TEMPLATE_URL} download="mau-nhap-to-chuc.xlsx" data-testid="import-template">
            {tr.templateButton}
          </a>{' '}
          <span class="muted">{tr.templateHint}</span>
        </p>
      </div>
      <div class="panel">
        <h2>{tr.step2}</h2>
        <label>
          {tr.fileLabel}{' '}
          <input
            type="file"
            name="file"
            accept=".xlsx,.xls,.ods,.csv"
            onChange={async (e) => {
              const chosen = e.currentTarget.files?.[0];
              if (!chosen) return;
              const next = { name: chosen.name, bytes: await chosen.arrayBuffer() };
              setFile(next);
              setPlan(null);
              await run(false, next);
            }}
          />
        </label>
        {busy && (
          <p class="loading" aria-busy="true">
            {tr.readingFile}
          </p>
        )}
      </div>
      {error !== null && <ErrorView error={error} />}
      {plan && (
        <div class="panel" data-testid="import-preview" data-applied={String(plan.applied)} data-errors={plan.errors.length}>
          <h2>{plan.applied ? tr.importedFile(plan.file) : tr.previewFile(plan.file)}</h2>
          <Counts plan={plan} />
          {plan.errors.length > 0 ? <Errors plan={plan} /> : <Changes plan={plan} />}
          {plan.applied ? (
            <p class="saved" role="status">
              {tr.importDone} <a href={href.org()}>{tr.seeTree}</a>
            </p>
          ) : (
            plan.errors.length === 0 && (
              <button disabled={busy} onClick={() => run(true)} data-testid="import-apply">
                {busy ? tr.importing : tr.confirmImport}
              </button>
            )
          )}
        </div>
      )}
    </section>
  );
}
