// Importing the organisation from a spreadsheet: the template to download, a file to preview
// (what would be created, changed and left, and every error by sheet, row and column, as the
// server's planner in core finds them), and a confirmation that applies it all or nothing.

import { useState } from 'preact/hooks';
import { IMPORT_TEMPLATE_URL, importFile, type ImportPlan } from '../api';
import { href } from '../route';
import { ErrorView } from '../ui';

const ACTION_VI = { create: 'Thêm mới', change: 'Sửa', same: 'Giữ nguyên' } as const;

function Counts({ plan }: { plan: ImportPlan }) {
  return (
    <table class="table" data-testid="import-counts">
      <thead>
        <tr>
          <th>Trang</th>
          <th class="num">Thêm mới</th>
          <th class="num">Sửa</th>
          <th class="num">Giữ nguyên</th>
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
      <h2>Có {plan.errors.length} lỗi; chưa nhập gì</h2>
      <p class="muted">Sửa các dòng dưới đây trong bảng tính rồi tải tệp lên lại.</p>
      <table class="table" data-testid="import-errors">
        <thead>
          <tr>
            <th>Trang</th>
            <th class="num">Dòng</th>
            <th>Cột</th>
            <th>Lỗi</th>
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
              <th>Trang</th>
              <th class="num">Dòng</th>
              <th>Việc</th>
              <th>Mã</th>
              <th>Tên</th>
              <th>Cột thay đổi</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-action={r.action}>
                <td>{r.sheet}</td>
                <td class="num">{r.row}</td>
                <td>{ACTION_VI[r.action]}</td>
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
          Hộ có trên hệ thống mà không có trong tệp (giữ nguyên, không xóa): {plan.households_not_in_sheet.join(', ')}
        </p>
      )}
      {plan.members_not_in_sheet.length > 0 && (
        <p class="muted">
          Đảng viên có trên hệ thống mà không có trong tệp (giữ nguyên, không xóa): {plan.members_not_in_sheet.join(', ')}
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
      <h1>Nhập tổ chức từ bảng tính</h1>
      <p class="muted">
        Đơn vị, đảng viên, hộ và phân công, mỗi loại một trang. Nhập lại cùng mã thì cập nhật, không tạo trùng; ô để trống giữ nguyên giá trị
        đang có; không xóa gì. Điện thoại của các chi bộ nhận thay đổi ở lần đồng bộ tới.
      </p>
      <div class="panel">
        <h2>1. Tải mẫu</h2>
        <p>
          <a class="button" href={IMPORT_TEMPLATE_URL} download="mau-nhap-to-chuc.xlsx" data-testid="import-template">
            Tải mẫu bảng tính (Excel)
          </a>{' '}
          <span class="muted">Các cột có mã (loại đơn vị, chức vụ, tình trạng) chọn trong danh sách thả xuống.</span>
        </p>
      </div>
      <div class="panel">
        <h2>2. Chọn tệp để xem trước</h2>
        <label>
          Tệp Excel (.xlsx) hoặc CSV{' '}
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
            Đang đọc tệp…
          </p>
        )}
      </div>
      {error !== null && <ErrorView error={error} />}
      {plan && (
        <div class="panel" data-testid="import-preview" data-applied={String(plan.applied)} data-errors={plan.errors.length}>
          <h2>{plan.applied ? `3. Đã nhập ${plan.file}` : `3. Xem trước: ${plan.file}`}</h2>
          <Counts plan={plan} />
          {plan.errors.length > 0 ? <Errors plan={plan} /> : <Changes plan={plan} />}
          {plan.applied ? (
            <p class="saved" role="status">
              Đã nhập xong, trong một lần. <a href={href.org()}>Xem cây đơn vị ở trang Tổ chức</a>
            </p>
          ) : (
            plan.errors.length === 0 && (
              <button disabled={busy} onClick={() => run(true)} data-testid="import-apply">
                {busy ? 'Đang nhập…' : 'Xác nhận nhập'}
              </button>
            )
          )}
        </div>
      )}
    </section>
  );
}
