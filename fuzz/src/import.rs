//! The spreadsheet import, read and planned as the server does before anything is written: any
//! bytes as an XLSX or CSV file, against a district that holds only its top unit (as after
//! `hosync init`) and one that already holds a commune, as an admin and as that commune's
//! committee.

use hosync_core::ids::UnitId;
use hosync_core::import::Current;
use hosync_core::messages::Lang;
use hosync_core::{AccessRole, Day, OrgUnit, Principal, UnitKind, UnitPath};
use hosync_server::org::import::plan_file;

/// The input's first byte picks the file's name (and so how it is read), the organisation and
/// the importer; the rest is the file. A plan's errors each name a sheet and what is wrong,
/// and a plan with none refers only to units it creates or that exist.
pub fn import(data: &[u8]) {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let name = [
        "to-chuc.xlsx",
        "don-vi.csv",
        "dang-vien.csv",
        "ho.csv",
        "phan-cong.csv",
    ][usize::from(pick % 5)];
    let current = organisation(pick & 0x10 != 0);
    let committee = Principal {
        role: AccessRole::CommuneCommittee,
        scope: UnitPath::from_ids([&unit_id("hsp"), &unit_id("hsp-x01")]),
        member: None,
    };
    let by = (pick & 0x20 != 0).then_some(&committee);
    let today = Day::parse("2026-12-02").unwrap_or_else(|e| panic!("{e}"));
    let Ok(plan) = plan_file(file, name, &current, by, today, Lang::Vi) else {
        return;
    };
    for error in &plan.errors {
        assert!(
            !error.message.is_empty() && !error.sheet.is_empty(),
            "an import error names its sheet and says what is wrong: {error:?}"
        );
    }
    if plan.errors.is_empty() {
        let mut known: Vec<&UnitId> = current.units.iter().map(|u| &u.id).collect();
        for step in &plan.units {
            let unit = &step.item;
            if let Some(parent) = &unit.parent {
                assert!(
                    known.contains(&parent),
                    "unit {} comes after its parent {parent} in a plan without errors",
                    unit.id
                );
            }
            known.push(&unit.id);
        }
    }
}

fn unit_id(id: &str) -> UnitId {
    UnitId::parse(id).unwrap_or_else(|e| panic!("{e}"))
}

fn organisation(with_commune: bool) -> Current {
    let unit = |id: &str, parent: Option<&str>, kind: UnitKind, label: &str, name: &str| {
        OrgUnit::new(id, parent, kind, label, name).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut units = vec![unit(
        "hsp",
        None,
        UnitKind::District,
        "Huyện",
        "Huyện Hoàng Su Phì",
    )];
    if with_commune {
        units.push(unit(
            "hsp-x01",
            Some("hsp"),
            UnitKind::CommuneCommittee,
            "Xã",
            "Đảng bộ xã Nậm Dịch",
        ));
    }
    Current {
        units,
        ..Current::default()
    }
}

pub fn seeds() -> Vec<Vec<u8>> {
    let with = |pick: u8, file: &[u8]| {
        let mut seed = vec![pick];
        seed.extend_from_slice(file);
        seed
    };
    vec![
        with(0, include_bytes!("../../examples/district.xlsx")),
        with(0x30, include_bytes!("../../examples/district-errors.xlsx")),
        with(
            1,
            "Mã đơn vị,Mã đơn vị cấp trên,Loại đơn vị,Tên đơn vị,Tên cấp\nhsp-x01,hsp,commune,Đảng bộ xã Nậm Dịch,Xã\n"
                .as_bytes(),
        ),
        with(
            3,
            "\u{feff}Mã hộ;Mã chi bộ;Chủ hộ;Nhân khẩu\nh1;hsp-x01-c01;Sùng A Páo;6\n".as_bytes(),
        ),
    ]
}
