// Finding a household or a member by name across the account's scope. The server matches with
// or without diacritics, so "giang seo pua" finds "Giàng Seo Pủa" as staff type it on any
// keyboard.

import { useEffect, useState } from 'preact/hooks';
import { api, type SearchResults } from '../api';
import { num } from '../format';
import { href } from '../route';
import { Load, useLoad } from '../ui';
import { tr } from '../i18n';

/** The box in the header; searching changes the address, so results can be linked to. */
export function SearchBox({ q }: { q: string }) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return (
    <form
      class="search-box"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) location.hash = href.search(text.trim());
      }}
    >
      <input
        type="search"
        name="q"
        aria-label={tr.searchLabel}
        placeholder={tr.searchHint}
        minLength={MIN_LETTERS}
        value={text}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
      />
      <button>{tr.searchButton}</button>
    </form>
  );
}

/** The server answers only for two letters or more; fewer would list half the district. */
const MIN_LETTERS = 2;

export function SearchPage({ q }: { q: string }) {
  const wanted = q.trim();
  const enough = wanted.replace(/\s/g, '').length >= MIN_LETTERS;
  const result = useLoad<SearchResults | null>(() => (enough ? api.search(wanted) : Promise.resolve(null)), [wanted]);
  return (
    <section class="search">
      <h1>{tr.searchTitle}{wanted && `: “${wanted}”`}</h1>
      <Load result={result}>
        {(r) =>
          r ? (
            <Results r={r} />
          ) : (
            <p class="muted">{tr.searchMin(MIN_LETTERS)}</p>
          )
        }
      </Load>
    </section>
  );
}

function Results({ r }: { r: SearchResults }) {
  return (
    <div class="two">
      <section class="panel" data-section="households">
        <h2>{tr.householdsN(num(r.households.length))}</h2>
        {r.households.length === 0 ? (
          <p class="muted">{tr.noHouseholds}</p>
        ) : (
          <ul class="results">
            {r.households.map((h) => (
              <li data-household={h.id}>
                <a href={href.household(h.id)}>{h.head}</a>
                <span class="muted">
                  {' '}
                  · {h.village} · <a href={href.overview(h.cell.id)}>{h.cell.name}</a>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="panel" data-section="members">
        <h2>{tr.membersN(num(r.members.length))}</h2>
        {r.members.length === 0 ? (
          <p class="muted">{tr.noMembers}</p>
        ) : (
          <ul class="results">
            {r.members.map((m) => (
              <li data-member={m.id}>
                <a href={href.overview(m.cell.id)} data-unit={m.cell.id}>
                  {m.name}
                </a>
                <span class="muted">
                  {' '}
                  · {m.cell.name}
                  {m.status !== 'active' && ` · ${m.status_label}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
