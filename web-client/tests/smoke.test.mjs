// Smoke test of the generated bindings in Node: two phones working offline exchange bundles and
// see each other's work merged, conflicts surface with both values, sync frames and saved bytes
// come out as core makes them, and bad input throws core's message; what the app asks instead
// of deciding itself (document ids, a member's own households, name order, a flag's moves, a
// report's state) comes from core.
//
// Build first (`cargo xtask wasm`), then: node --test web-client/tests/ (the `.test.mjs` ending
// is what makes Node pick the file from a folder).
// HOSYNC_WASM_PKG names the folder with hosync_web.js (relative to the working directory); by
// default it is target/web/pkg of this workspace.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = process.env.HOSYNC_WASM_PKG
  ? path.resolve(process.env.HOSYNC_WASM_PKG)
  : path.resolve(here, "../../target/web/pkg");
if (!fs.existsSync(path.join(pkg, "hosync_web.js"))) {
  throw new Error(`no bindings in ${pkg}: run \`cargo xtask wasm\` or set HOSYNC_WASM_PKG`);
}
const web = await import(pathToFileURL(path.join(pkg, "hosync_web.js")).href);
web.initSync({ module: fs.readFileSync(path.join(pkg, "hosync_web_bg.wasm")) });
const { Replica } = web;

const HOUSEHOLD = "h:hsp-h0001";
const REPORT = "r:m-an:2026-11";

function phone(device, member) {
  return new Replica(device, member);
}

/** Hands every unsynced document of `from` to `to`, as a file or QR code would. */
function hand(from, to) {
  return to.importBundle(from.exportBundle());
}

test("notes written on two offline phones are both kept after a bundle", () => {
  const an = phone("phone-an", "m-an");
  const binh = phone("phone-binh", "m-binh");
  an.openDocument(HOUSEHOLD);
  binh.openDocument(HOUSEHOLD);
  const a = an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Gia đình khỏe.", ["sức khỏe"]);
  const b = binh.addNote(HOUSEHOLD, "m-binh", "2026-11-05", "Xin giống chè.", []);

  assert.deepEqual(hand(an, binh), [HOUSEHOLD]);
  const seen = binh.household(HOUSEHOLD);
  assert.deepEqual(
    seen.notes.map((n) => [n.id, n.text]),
    [
      [a, "Gia đình khỏe."],
      [b, "Xin giống chè."],
    ],
    "both notes, oldest visit first",
  );
  const first = seen.notes[0];
  assert.equal(first.date, "2026-11-02");
  assert.equal(first.dateVi, "02/11/2026");
  assert.equal(first.author, "m-an");
  assert.deepEqual(first.topics, ["sức khỏe"]);
  assert.equal(first.deleted, false);
  assert.equal(typeof first.createdAt, "number");
  assert.equal(seen.id, "hsp-h0001");
  assert.equal(seen.lastVisit, "2026-11-05");
  assert.equal(seen.lastVisitVi, "05/11/2026");

  hand(binh, an);
  assert.deepEqual(an.household(HOUSEHOLD), binh.household(HOUSEHOLD), "both phones agree");
});

test("concurrent edits of one note merge character by character", () => {
  const an = phone("phone-an", "m-an");
  const binh = phone("phone-binh", "m-binh");
  an.openDocument(HOUSEHOLD);
  const note = an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "gia đình khỏe", []);
  hand(an, binh);

  an.editNote(HOUSEHOLD, note, "gia đình khỏe, lúa tốt");
  binh.spliceNote(HOUSEHOLD, note, 0, 1, "Cả g");
  hand(an, binh);
  hand(binh, an);

  for (const p of [an, binh]) {
    assert.equal(p.household(HOUSEHOLD).notes[0].text, "Cả gia đình khỏe, lúa tốt");
  }
});

test("a deleted note keeps an edit made offline on another phone", () => {
  const an = phone("phone-an", "m-an");
  const binh = phone("phone-binh", "m-binh");
  an.openDocument(HOUSEHOLD);
  const note = an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Nhà dột", []);
  hand(an, binh);
  an.setNoteDeleted(HOUSEHOLD, note, true);
  binh.editNote(HOUSEHOLD, note, "Nhà dột, cần sửa mái");
  hand(binh, an);
  const [merged] = an.household(HOUSEHOLD).notes;
  assert.equal(merged.deleted, true);
  assert.equal(merged.text, "Nhà dột, cần sửa mái");
  assert.equal(an.household(HOUSEHOLD).lastVisit, null);
});

test("a self-rating set differently on two phones is a conflict with both values", () => {
  const an = phone("phone-an", "m-an");
  const tablet = phone("tablet-an", "m-an");
  an.openDocument(REPORT);
  tablet.openDocument(REPORT);
  an.writeReport(REPORT, { tasks: "Dự họp chi bộ.", selfRating: "good" });
  tablet.writeReport(REPORT, { householdContent: "Thăm 3 hộ.", selfRating: "excellent" });
  hand(tablet, an);

  const [conflict, ...rest] = an.conflicts(REPORT);
  assert.deepEqual(rest, []);
  assert.deepEqual(conflict.path, ["self_rating"]);
  assert.deepEqual(conflict.values.map((v) => v.value).sort(), ["excellent", "good"]);
  for (const v of conflict.values) {
    assert.match(v.actor, /^[0-9a-f]+$/);
  }

  const report = an.report(REPORT);
  assert.equal(report.tasks, "Dự họp chi bộ.");
  assert.equal(report.householdContent, "Thăm 3 hộ.");
  assert.equal(report.selfRating, conflict.values[0].value, "views show the winner");
  assert.equal(report.monthVi, "tháng 11/2026");

  an.settle(REPORT, ["self_rating"], "good");
  assert.deepEqual(an.conflicts(REPORT), []);
  const settled = an.report(REPORT);
  assert.equal(settled.selfRating, "good");
  assert.equal(settled.selfRatingLabel, "Hoàn thành tốt nhiệm vụ");
  assert.equal(settled.submittedOn, null);

  an.submitReport(REPORT, "2026-11-28");
  an.rateReport(REPORT, "excellent", "Làm tốt.", "m-binh", "2026-11-30");
  const rated = an.report(REPORT);
  assert.equal(rated.submittedOnVi, "28/11/2026");
  assert.equal(rated.cellRating, "excellent");
  assert.equal(rated.cellRatingLabel, "Hoàn thành xuất sắc nhiệm vụ");
  assert.equal(rated.cellComment, "Làm tốt.");
  assert.equal(rated.ratedBy, "m-binh");
});

test("profile, flags and cell assignments read back", () => {
  const an = phone("phone-an", "m-an");
  an.openDocument(HOUSEHOLD);
  an.updateProfile(HOUSEHOLD, { head: "Giàng Seo Pủa", people: 6 });
  const note = an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Cần giống chè", []);
  const flag = an.raiseFlag(HOUSEHOLD, note, "m-an", "2026-11-02", "Xin hỗ trợ giống chè");
  an.raiseFlag(HOUSEHOLD, null, "m-an", "2026-11-03", "Đường vào bản sạt lở");
  an.setFlagStatus(HOUSEHOLD, flag, "resolved", "m-binh", "2026-11-10");
  const h = an.household(HOUSEHOLD);
  assert.equal(h.head, "Giàng Seo Pủa");
  assert.equal(h.people, 6);
  assert.equal(h.village, "");
  assert.equal(h.openFlags, 1);
  const [resolved, open] = h.flags;
  assert.equal(resolved.note, note);
  assert.equal(resolved.status, "resolved");
  assert.equal(resolved.statusLabel, "Đã giải quyết");
  assert.equal(resolved.statusBy, "m-binh");
  assert.equal(resolved.statusOnVi, "10/11/2026");
  assert.equal(open.note, null);
  assert.equal(open.status, "open");

  const CELL = "c:hsp-x01-c02";
  an.openDocument(CELL);
  an.setMember(CELL, "m-an", "Nguyễn Văn An", "member");
  an.setMemberStatus(CELL, "m-an", "working_away", "Bắc Ninh");
  an.assign(CELL, "hsp-h0001", "m-an", "2026-11-01", "m-binh");
  an.assign(CELL, "hsp-h0002", "m-an", "2026-11-01", "m-binh");
  an.assign(CELL, "hsp-h0002", null, "2026-11-15", "m-binh");
  const cell = an.cell(CELL);
  assert.deepEqual(cell.members, [
    {
      id: "m-an",
      name: "Nguyễn Văn An",
      role: "member",
      roleLabel: "Đảng viên",
      status: "working_away",
      statusLabel: "Đi làm ăn xa",
      statusDetail: "Bắc Ninh",
    },
  ]);
  assert.deepEqual(cell.assignments, [
    { household: "hsp-h0001", member: "m-an", since: "2026-11-01", sinceVi: "01/11/2026" },
  ]);
  assert.equal(cell.history.length, 3);
  assert.equal(cell.history[2].member, null);
});

test("startSync returns a hosync frame", () => {
  const an = phone("phone-an", "m-an");
  an.openDocument(HOUSEHOLD);
  an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Gia đình khỏe.", []);
  const frame = an.startSync();
  assert.ok(frame instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(frame.subarray(0, 4)), "HSYN");
  assert.equal(frame[4], Replica.protocolVersion);
});

test("finishSync takes a refusal and the document says why", () => {
  const an = phone("phone-an", "m-an");
  an.openDocument(HOUSEHOLD);
  an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Gia đình khỏe.", []);
  assert.equal(an.status(HOUSEHOLD), "on_phone");
  an.startSync();

  const reason = "h:hsp-h0001 is not in your scope";
  const outcome = an.finishSync(refusal(HOUSEHOLD, reason, 1_795_377_600));
  assert.deepEqual(outcome, {
    accepted: [],
    refused: [{ doc: HOUSEHOLD, reason }],
    updated: [],
    again: false,
    dropped: [],
    wiped: false,
    newActor: false,
  });
  assert.deepEqual(an.status(HOUSEHOLD), { refused: reason });
  assert.equal(an.isLocked(1_795_377_600 + 29 * 24 * 3600), false);
  assert.equal(an.isLocked(1_795_377_600 + 31 * 24 * 3600), true, "locked after 30 days away");
  assert.equal(an.lastContact, 1_795_377_600);
  assert.deepEqual(an.unsynced(), [HOUSEHOLD], "refused changes stay on the phone");
  assert.throws(() => an.finishSync(new TextEncoder().encode("GET / HTTP/1.1")), /HSYN/);
});

test("save and load round-trip the whole replica", () => {
  const an = phone("phone-an", "m-an");
  an.openDocument(HOUSEHOLD);
  an.openDocument(REPORT);
  an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "Gia đình khỏe.", ["sức khỏe"]);
  an.writeReport(REPORT, { selfRating: "completed" });

  const back = Replica.load(an.save());
  assert.equal(back.deviceId, "phone-an");
  assert.equal(back.memberId, "m-an");
  assert.deepEqual(back.documentIds(), an.documentIds());
  assert.deepEqual(back.unsynced(), an.unsynced());
  assert.deepEqual(back.household(HOUSEHOLD), an.household(HOUSEHOLD));
  assert.deepEqual(back.report(REPORT), an.report(REPORT));
  assert.deepEqual(back.save(), an.save());
  assert.throws(() => Replica.load(new Uint8Array([1, 2, 3])), /hosync/);
});

test("bad input throws core's message and changes nothing", () => {
  const an = phone("phone-an", "m-an");
  assert.throws(() => phone("Phone 1", "m-an"), /device id "Phone 1" may only contain/);
  assert.throws(() => an.openDocument("x:1"), /is not of the form/);
  assert.throws(() => an.household(HOUSEHOLD), /not on this phone/);
  an.openDocument(HOUSEHOLD);
  an.openDocument(REPORT);
  assert.throws(() => an.report(HOUSEHOLD), /is a household document, not a report one/);
  assert.throws(() => an.addNote(HOUSEHOLD, "m-an", "02/11/2026", "x", []), /yyyy-mm-dd/);
  assert.throws(() => an.editNote(HOUSEHOLD, "nope", "x"), /note nope is not in document/);
  assert.throws(() => an.writeReport(REPORT, { selfRating: "great" }), /not a valid rating/);
  assert.throws(() => an.writeReport(REPORT, { selfrating: "good" }), /unknown field/);
  assert.throws(() => an.updateProfile(HOUSEHOLD, { name: "An" }), /unknown field "name"/);
  assert.throws(() => an.updateProfile(HOUSEHOLD, { people: 500 }), /profile\.people/);
  assert.throws(() => an.updateProfile(HOUSEHOLD, { people: -1 }), /profile update/);
  assert.throws(() => an.submitReport(REPORT), /choose a self-rating/);
  assert.throws(() => an.settle(REPORT, ["self_rating"], "good"), /conflict at self_rating/);
  const note = an.addNote(HOUSEHOLD, "m-an", "2026-11-02", "abc", []);
  assert.throws(() => an.spliceNote(HOUSEHOLD, note, 2, 5, ""), /cannot delete 5 characters/);
  assert.throws(() => an.spliceNote(HOUSEHOLD, note, -1, 1, ""), /out of range/);
  assert.equal(an.household(HOUSEHOLD).notes[0].text, "abc");
});

test("coded values come with core's labels in both languages and match the TypeScript types", () => {
  assert.deepEqual(web.ratings(), [
    { code: "excellent", label: "Hoàn thành xuất sắc nhiệm vụ", label_en: "Excellently completed duties" },
    { code: "good", label: "Hoàn thành tốt nhiệm vụ", label_en: "Well completed duties" },
    { code: "completed", label: "Hoàn thành nhiệm vụ", label_en: "Completed duties" },
    { code: "not_completed", label: "Không hoàn thành nhiệm vụ", label_en: "Did not complete duties" },
  ]);
  assert.deepEqual(
    web.memberStatuses().map((s) => [s.code, s.label_en]),
    [["active", "Active"], ["working_away", "Working away"], ["exempt", "Exempt"]],
  );
  assert.equal(Replica.protocolVersion, 2);
  const dts = fs.readFileSync(path.join(pkg, "hosync_web.d.ts"), "utf8");
  const union = (name) => {
    const m = dts.match(new RegExp(`export type ${name} = ([^;]+);`));
    assert.ok(m, `${name} in the .d.ts`);
    return [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
  };
  const codes = (list) => list.map((c) => c.code);
  assert.deepEqual(union("RatingCode"), codes(web.ratings()));
  assert.deepEqual(union("FlagStatusCode"), codes(web.flagStatuses()));
  assert.deepEqual(union("RoleCode"), codes(web.roles()));
  assert.deepEqual(union("ReportStateCode"), codes(web.reportStates()));
  assert.deepEqual(union("MemberStatusCode"), codes(web.memberStatuses()));
  for (const name of ["Household", "Cell", "MonthlyReport", "Conflict", "SyncOutcome"]) {
    assert.match(dts, new RegExp(`export interface ${name} \\{`));
  }
});

test("document ids are read and written by core", () => {
  assert.deepEqual(web.parseDocId(HOUSEHOLD), { kind: "household", household: "hsp-h0001" });
  assert.deepEqual(web.parseDocId("c:hsp-x01-c02"), { kind: "cell", cell: "hsp-x01-c02" });
  assert.deepEqual(web.parseDocId(REPORT), { kind: "report", member: "m-an", month: "2026-11" });
  assert.equal(web.reportDocId("m-an", "2026-11"), REPORT);
  assert.throws(() => web.parseDocId("r:m-an:2026-13"), /is not of the form/);
  assert.throws(() => web.parseDocId("x:1"), /is not of the form/);
  assert.throws(() => web.reportDocId("m an", "2026-11"), /member id "m an" may only contain/);
  assert.throws(() => web.reportDocId("m-an", "11/2026"), /month/);
  const an = phone("phone-an", "m-an");
  an.openDocument("c:hsp-x01-c02");
  assert.equal(an.cell("c:hsp-x01-c02").docId, "c:hsp-x01-c02");
});

test("the household list says which are the member's own and sorts heads as core does", () => {
  const an = phone("phone-an", "m-an");
  const heads = {
    "h:hh-1": "Nguyễn Văn Đức",
    "h:hh-2": "Lê Thị Bình",
    "h:hh-3": "Trần Văn Ánh",
    "h:hh-4": "Giàng Seo Pủa",
  };
  for (const [doc, head] of Object.entries(heads)) {
    an.openDocument(doc);
    an.updateProfile(doc, { head });
  }
  an.addNote("h:hh-1", "m-an", "2026-11-02", "Đã thăm.", []);
  const gone = an.addNote("h:hh-2", "m-an", "2026-11-03", "Nhầm.", []);
  an.setNoteDeleted("h:hh-2", gone, true);
  an.addNote("h:hh-3", "m-an", "2026-10-30", "Tháng trước.", []);
  // Before the cell's document is on the phone, no assignee is known: every household is listed.
  assert.deepEqual(
    an.householdList("2026-11").map((h) => [h.head, h.mine, h.visited]),
    [
      ["Trần Văn Ánh", true, false],
      ["Lê Thị Bình", true, false],
      ["Nguyễn Văn Đức", true, true],
      ["Giàng Seo Pủa", true, false],
    ],
    "by the given name folded (Ánh among the A's, Đức among the D's); visited as core reads it",
  );
  const CELL = "c:hsp-x01-c02";
  an.openDocument(CELL);
  an.assign(CELL, "hh-1", "m-an", "2026-11-01", "m-binh");
  an.assign(CELL, "hh-2", "m-binh", "2026-11-01", "m-binh");
  const list = an.householdList("2026-11");
  assert.deepEqual(
    Object.fromEntries(list.map((h) => [h.id, [h.assignee, h.mine]])),
    {
      "hh-1": ["m-an", true],
      "hh-2": ["m-binh", false],
      "hh-3": [null, true],
      "hh-4": [null, true],
    },
  );
});

test("flags say whether they are open and where they may move, and reports where they stand", () => {
  const an = phone("phone-an", "m-an");
  an.openDocument(HOUSEHOLD);
  const flag = an.raiseFlag(HOUSEHOLD, null, "m-an", "2026-11-02", "Xin giống chè");
  const moves = () => {
    const [f] = an.household(HOUSEHOLD).flags;
    return [f.status, f.open, f.moves];
  };
  assert.deepEqual(moves(), ["open", true, ["escalated", "resolved"]]);
  an.setFlagStatus(HOUSEHOLD, flag, "escalated", "m-an", "2026-11-03");
  assert.deepEqual(moves(), ["escalated", true, ["resolved"]]);
  an.setFlagStatus(HOUSEHOLD, flag, "resolved", "m-an", "2026-11-04");
  assert.deepEqual(moves(), ["resolved", false, ["open"]]);
  assert.equal(an.household(HOUSEHOLD).openFlags, 0);

  an.openDocument(REPORT);
  assert.equal(an.report(REPORT).state, "drafted");
  assert.equal(an.report(REPORT).stateLabel, "Chưa nộp (đang soạn)");
  an.writeReport(REPORT, { selfRating: "good" });
  an.submitReport(REPORT, "2026-11-28");
  assert.equal(an.report(REPORT).state, "handed_in");
  assert.equal(an.report(REPORT).stateLabel, "Đã nộp");
});

// A server's answer refusing one push, encoded as the server would (postcard in a plain frame),
// so the test needs no server.
function refusal(doc, reason, serverTime) {
  const bytes = [...new TextEncoder().encode("HSYN"), Replica.protocolVersion, 0];
  const varint = (n) => {
    let v = BigInt(n);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
  };
  const string = (s) => {
    const utf8 = new TextEncoder().encode(s);
    varint(utf8.length);
    bytes.push(...utf8);
  };
  varint(1); // cursor.epoch
  varint(7); // cursor.seq
  varint(1); // one result
  string(doc);
  varint(1); // PushOutcome::Rejected
  string(reason);
  varint(0); // no updates
  varint(BigInt(serverTime) * 2n); // server_time, zigzag
  varint(0); // nothing to drop
  bytes.push(0); // no wipe
  varint(30 * 24 * 3600 * 2); // lock_after, zigzag
  return new Uint8Array(bytes);
}
