// Enrolment: a code for one member's phone, or the sheet of a cell, a code for every member
// with no phone yet, laid out on A4 for the cell meeting (name, code, QR code) and printed with
// the browser's print. A code is shown only once (the server keeps its hash), so the sheet is
// printed from this page as soon as it is made.

import { useState } from 'preact/hooks';
import qrcode from 'qrcode-generator';
import { admin, type EnrolmentSheet } from '../admin-api';
import { ErrorView, PrintButton } from '../ui';
import { tr } from '../i18n';

/** The code as the QR code the field app's camera reads (`hosync:enrol:CODE`, as the server renders it). */
function Qr({ code }: { code: string }) {
  const qr = qrcode(0, 'M');
  qr.addData(`hosync:enrol:${code}`);
  qr.make();
  return <span class="qr" dangerouslySetInnerHTML={{ __html: qr.createSvgTag({ cellSize: 3, margin: 2, scalable: true }) }} />;
}

function Sheet({ sheet }: { sheet: EnrolmentSheet }) {
  return (
    <article class="printout enrol-sheet" data-cell={sheet.cell.id}>
      <div class="toolbar no-print">
        <span>{tr.codesN(sheet.codes.length)}</span>
        <PrintButton />
      </div>
      <header class="doc-head">
        <p class="issuer">{sheet.cell.name}</p>
        <h1>{tr.enrolSheetTitle}</h1>
        <p class="muted">
          {tr.enrolSheetHelp(sheet.codes[0]?.expires ?? '—')}
        </p>
      </header>
      {sheet.codes.length === 0 ? (
        <p data-testid="no-codes">{tr.allEnrolled}</p>
      ) : (
        <div class="enrol-cards">
          {sheet.codes.map((c) => (
            <section class="enrol-card" data-member={c.member}>
              <Qr code={c.code} />
              <div>
                <p class="name">{c.name}</p>
                <p class="muted">{c.member}</p>
                <p class="code" data-testid="enrol-code">
                  {c.code}
                </p>
              </div>
            </section>
          ))}
        </div>
      )}
      {sheet.enrolled.length > 0 && (
        <p class="muted">{tr.alreadyEnrolled(sheet.enrolled.map((m) => m.name).join(', '))}</p>
      )}
    </article>
  );
}

export function EnrolPage({ cell }: { cell?: string }) {
  const [unit, setUnit] = useState(cell ?? '');
  const [holder, setHolder] = useState('');
  const [sheet, setSheet] = useState<EnrolmentSheet | null>(null);
  const [one, setOne] = useState<{ code: string; holder: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (what: () => Promise<void>) => {
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="enrol">
      <div class="no-print">
        <h1>{tr.enrolTitle}</h1>
        <p class="muted">{tr.enrolHelp}</p>
        <div class="two">
          <form
            class="panel org-form"
            data-form="enrol-cell"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => setSheet(await admin.enrolCell(unit.trim())));
            }}
          >
            <h2>{tr.cellSheet}</h2>
            <label>
              {tr.cellCode}
              <input name="cell" required value={unit} onInput={(e) => setUnit(e.currentTarget.value)} />
            </label>
            <button>{tr.makeSheet}</button>
          </form>
          <form
            class="panel org-form"
            data-form="enrol-one"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => setOne(await admin.enrolOne(holder.trim())));
            }}
          >
            <h2>{tr.oneCode}</h2>
            <label>
              {tr.memberOrLogin}
              <input name="holder" required value={holder} onInput={(e) => setHolder(e.currentTarget.value)} />
            </label>
            <button>{tr.issueCode}</button>
            {one && (
              <div class="enrol-card" role="status">
                <Qr code={one.code} />
                <p class="code" data-testid="one-code">
                  {one.code}
                </p>
              </div>
            )}
          </form>
        </div>
        {error !== null && <ErrorView error={error} />}
      </div>
      {sheet && <Sheet sheet={sheet} />}
    </section>
  );
}
