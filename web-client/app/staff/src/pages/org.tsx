// Keeping the organisation current: a unit, a member or a household added, a member transferred
// to another cell, a household moved. Each form sends one change; the server checks it against
// the account's scope and role (through core) and says what was wrong, field by field.

import { useState } from 'preact/hooks';
import { api, type OrgChoices } from '../api';
import { href } from '../route';
import { ErrorView, Load, type Loaded, useLoad } from '../ui';
import { tr } from '../i18n';

type Field = { name: string; label: string; type?: 'text' | 'number' | 'date'; options?: [string, string][]; required?: boolean };

/** One change to the organisation: its fields, where it goes, and what to say once done. */
function ChangeForm(props: {
  id: string;
  title: string;
  help: string;
  fields: Field[];
  submit: string;
  send: (values: Record<string, string>) => Promise<Record<string, unknown>>;
  done: (answer: Record<string, unknown>) => string;
}) {
  const { id, title, help, fields, submit, send, done } = props;
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState('');
  return (
    <form
      class="panel org-form"
      data-form={id}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setResult('');
        try {
          setResult(done(await send(values)));
          setValues({});
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{title}</h2>
      <p class="muted">{help}</p>
      {fields.map((f) => (
        <label>
          {f.label}
          {f.options ? (
            <select name={f.name} value={values[f.name] ?? f.options[0][0]} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}>
              {f.options.map(([code, label]) => (
                <option value={code}>{label}</option>
              ))}
            </select>
          ) : (
            <input
              name={f.name}
              type={f.type ?? 'text'}
              required={f.required}
              value={values[f.name] ?? ''}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          )}
        </label>
      ))}
      <button disabled={busy}>{busy ? tr.sending : submit}</button>
      {result && (
        <p class="saved" role="status">
          {result}
        </p>
      )}
      {error !== null && <ErrorView error={error} />}
    </form>
  );
}

/** A form's choices as the server lists them, `first` first (the form's default); only `first`
 * while they load. */
function options(choices: Loaded<OrgChoices>, list: keyof OrgChoices, first: string): [string, string][] {
  if (choices.state !== 'ok') return [[first, first]];
  const all = choices.data[list].map((c): [string, string] => [c.code, c.label]);
  return [...all.filter(([code]) => code === first), ...all.filter(([code]) => code !== first)];
}

const optional = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

/** The units in the account's scope, indented under their parents. */
function UnitTree() {
  const units = useLoad(() => api.orgUnits(), []);
  return (
    <div class="panel">
      <h2>{tr.units}</h2>
      <Load result={units}>
        {(rows) => (
          <table class="table" data-testid="org-units">
            <thead>
              <tr>
                <th>{tr.name}</th>
                <th>{tr.code}</th>
                <th>{tr.kind}</th>
                <th>{tr.level}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => (
                <tr data-unit={u.id}>
                  <td style={{ paddingLeft: `${0.5 + u.depth * 1.5}em` }}>
                    <a href={href.overview(u.id)}>{u.name}</a>
                  </td>
                  <td>{u.id}</td>
                  <td>{u.kind_label}</td>
                  <td>{u.level_label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Load>
    </div>
  );
}

export function OrgPage() {
  const choices = useLoad(() => api.orgChoices(), []);
  return (
    <section class="org">
      <h1>{tr.orgTitle}</h1>
      <p class="muted">
        {tr.orgHelp}
      </p>
      <p>
        <a class="button" href={href.orgImport()} data-testid="org-import-link">
          {tr.importLink}
        </a>
      </p>
      <div class="two">
        <ChangeForm
          id="unit"
          title={tr.addUnit}
          help={tr.addUnitHelp}
          fields={[
            { name: 'id', label: tr.unitCode, required: true },
            { name: 'parent', label: tr.parentCode, required: true },
            {
              name: 'kind',
              label: tr.kind,
              options: options(choices, 'unit_kinds', 'cell'),
            },
            { name: 'level_label', label: tr.levelLabel, required: true },
            { name: 'name', label: tr.name, required: true },
          ]}
          submit={tr.addUnit}
          send={(v) => api.org('/units', { ...v, kind: v.kind ?? 'cell' })}
          done={(a) => tr.unitAdded(String(a.id))}
        />
        <ChangeForm
          id="member"
          title={tr.addMember}
          help={tr.addMemberHelp}
          fields={[
            { name: 'id', label: tr.memberCode, required: true },
            { name: 'cell', label: tr.cellCode, required: true },
            { name: 'name', label: tr.fullName, required: true },
            {
              name: 'role',
              label: tr.cellRole,
              options: options(choices, 'member_roles', 'member'),
            },
          ]}
          submit={tr.addMember}
          send={(v) => api.org('/members', { ...v, role: v.role ?? 'member' })}
          done={(a) => tr.memberAdded(String(a.name), String(a.cell))}
        />
        <ChangeForm
          id="household"
          title={tr.addHousehold}
          help={tr.addHouseholdHelp}
          fields={[
            { name: 'cell', label: tr.cellCode, required: true },
            { name: 'head', label: tr.head, required: true },
            { name: 'village', label: tr.village },
            { name: 'people', label: tr.people, type: 'number' },
            { name: 'livelihood', label: tr.livelihood },
          ]}
          submit={tr.addHousehold}
          send={(v) =>
            api.org('/households', {
              cell: v.cell,
              head: v.head,
              village: v.village ?? '',
              people: Number(v.people ?? 0),
              livelihood: v.livelihood ?? '',
            })
          }
          done={(a) => tr.householdAdded(String(a.id))}
        />
        <ChangeForm
          id="transfer"
          title={tr.transferTitle}
          help={tr.transferHelp}
          fields={[
            { name: 'member', label: tr.memberCode, required: true },
            { name: 'cell', label: tr.toCell, required: true },
            { name: 'on', label: tr.effectiveOn, type: 'date' },
          ]}
          submit={tr.transferButton}
          send={(v) => api.org(`/members/${encodeURIComponent(v.member ?? '')}/transfer`, { cell: v.cell, on: optional(v.on) })}
          done={(a) => tr.transferred(String(a.member), String(a.from), String(a.to))}
        />
        <ChangeForm
          id="move"
          title={tr.moveTitle}
          help={tr.moveHelp}
          fields={[
            { name: 'household', label: tr.householdCode, required: true },
            { name: 'cell', label: tr.toCell, required: true },
            { name: 'on', label: tr.effectiveOn, type: 'date' },
          ]}
          submit={tr.moveButton}
          send={(v) => api.org(`/households/${encodeURIComponent(v.household ?? '')}/move`, { cell: v.cell, on: optional(v.on) })}
          done={(a) => tr.moved(String(a.household), String(a.from), String(a.to))}
        />
      </div>
      <UnitTree />
    </section>
  );
}
