// One table in full, as the server computes it for a unit and month, with its exports. The
// same address with format=xlsx or format=csv is the download, so what is exported is what is
// on screen.

import { api, type Table } from '../api';
import { monthVi } from '../format';
import { href } from '../route';
import { DataTable, ExportLinks, Load, MonthPicker, PrintButton, useLoad } from '../ui';
import { TABLE_TITLES } from './overview';
import { tr } from '../i18n';

export function TablePage(props: { table: string; unit?: string; month?: string; household?: string }) {
  const { table, unit, month, household } = props;
  const result = useLoad(() => api.table(table, { unit, month, household }), [table, unit, month, household]);
  return <Load result={result}>{(t) => <TableView t={t} household={household} />}</Load>;
}

function TableView({ t, household }: { t: Table; household?: string }) {
  const unit = t.unit?.id;
  const month = t.month;
  const query = { unit, month, household };
  return (
    <section class="table-view" data-table={t.table}>
      <nav class="breadcrumb" aria-label={tr.breadcrumb}>
        {household ? (
          <a href={href.household(household)}>{tr.backToHousehold}</a>
        ) : (
          <a href={href.overview(unit, month)} data-unit={unit}>
            {tr.backToOverview} {t.unit?.name}
          </a>
        )}
      </nav>
      <div class="title-row">
        <div>
          <h1>{t.title}</h1>
          <p class="muted">
            {t.unit?.name}
            {month && !household && ` · ${monthVi(month)}`}
          </p>
        </div>
        <div class="toolbar no-print">
          {!household && (
            <MonthPicker month={month} onPick={(m) => (location.hash = href.table(t.table, { unit, month: m }))} />
          )}
          <ExportLinks table={t.table} query={query} />
          <PrintButton />
        </div>
      </div>
      {!household && (
        <nav class="tabs no-print" aria-label={tr.tables}>
          {Object.entries(TABLE_TITLES).map(([name, title]) => (
            <a class={name === t.table ? 'active' : ''} href={href.table(name, { unit, month })} aria-current={name === t.table ? 'page' : undefined}>
              {title}
            </a>
          ))}
        </nav>
      )}
      <DataTable table={t} month={month} />
    </section>
  );
}
