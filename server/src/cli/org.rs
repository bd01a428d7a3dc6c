//! `hosync init`: a real district's first step, on an empty database.

use std::io::Write;

use clap::Args;
use hosync_core::access::AccessRole;
use hosync_core::{OrgUnit, UnitKind};

use crate::Db;
use crate::access::accounts::{Login, NewUser};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The top unit's code: lower-case letters, digits, '-' and '_' (such as hsp).
    #[arg(long)]
    pub code: String,
    /// Its name, as staff read it (such as "Huyện ủy Hoàng Su Phì").
    #[arg(long)]
    pub name: String,
    /// What its level is called here (such as "huyện").
    #[arg(long, default_value = "huyện")]
    pub level_label: String,
    /// district or province.
    #[arg(long, default_value = "district")]
    pub kind: String,
    /// The first administrator's login. Their password comes from HOSYNC_PASSWORD if set, else
    /// from one line on standard input.
    #[arg(long)]
    pub admin: String,
    /// The administrator's full name.
    #[arg(long)]
    pub admin_name: String,
}

/// Creates the top unit and the first administrator on an empty database, and says how to go
/// on from there.
pub async fn init(
    url: &str,
    args: InitArgs,
    password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let kind = UnitKind::parse(&args.kind)?;
    let top = OrgUnit::new(&args.code, None, kind, &args.level_label, &args.name)?;
    let admin = NewUser {
        login: Login::parse(&args.admin)?,
        name: args.admin_name,
        password: password()?,
        role: AccessRole::Admin,
        scope: top.id.clone(),
    };
    // Starting a district makes its database: a SQLite file named without a mode is created.
    let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}mode=rwc")
    } else {
        url.to_owned()
    };
    let db = Db::open(&url).await?;
    let result = crate::org::init::init(&db, &top, &admin, crate::system_now()).await;
    db.close().await;
    let user = result?;
    writeln!(
        out,
        "Created {} ({}) and its administrator {} ({}).\n\
         Next:\n  \
         1. hosync serve --database-url {url}   (the dashboard is at http://127.0.0.1:8080/staff/)\n  \
         2. fill the template (hosync import --template mau.xlsx) with the units, members and\n     \
            households, try it (hosync import FILE --database-url {url}), then add --apply;\n     \
            or sign in as {} and import from the dashboard (Tổ chức → Nhập từ bảng tính),\n  \
         3. hosync enrol MEMBER --database-url {url}   prints a phone's enrolment code.",
        top.name, top.id, user.login, user.name, user.login
    )?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The workbook (XLSX) or CSV file to import; a dry run unless --apply.
    #[arg(required_unless_present_any = ["template", "example"])]
    pub file: Option<std::path::PathBuf>,
    /// Apply the import: all of it in one transaction, or nothing when the file has errors.
    #[arg(long)]
    pub apply: bool,
    /// Write the empty template workbook (drop-down lists on the coded columns) to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    pub template: Option<std::path::PathBuf>,
    /// Write the example district (under a top unit `hsp`) to this file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["file", "template"])]
    pub example: Option<std::path::PathBuf>,
    /// With --example: add rows with one mistake of each kind the import reports.
    #[arg(long, requires = "example")]
    pub with_errors: bool,
}

/// `hosync import`: writes the template or the example, or checks a file against the
/// organisation and prints the plan and its errors, applying it with `--apply`. Fails (a
/// non-zero exit) when the file has errors.
pub async fn import(
    url: &str,
    args: ImportArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use crate::org::import;
    use anyhow::Context;
    if let Some(path) = &args.template {
        std::fs::write(path, import::template()?)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "Đã ghi mẫu nhập danh sách vào {}", path.display())?;
        return Ok(());
    }
    if let Some(path) = &args.example {
        std::fs::write(path, import::workbook(&import::example(args.with_errors))?)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "Đã ghi huyện mẫu vào {}", path.display())?;
        return Ok(());
    }
    let Some(path) = &args.file else {
        anyhow::bail!("name the file to import, or --template FILE");
    };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let db = Db::open(url).await?;
    let result = async {
        let now = crate::system_now();
        let mut tx = db.begin_log_write().await?;
        let current = import::current(&mut tx).await?;
        let plan = import::plan_file(
            &bytes,
            &name,
            &current,
            None,
            hosync_core::Day::from_timestamp(now),
            // The operator's command line speaks Vietnamese, as the district's staff do.
            hosync_core::messages::Lang::Vi,
        )?;
        print_plan(&plan, out)?;
        if !plan.is_ok() {
            anyhow::bail!(
                "{} lỗi trong {name}; chưa nhập gì. Sửa rồi chạy lại.",
                plan.errors.len()
            );
        }
        if args.apply {
            use hosync_core::import::Action;
            let rows = plan
                .units
                .iter()
                .map(|s| s.action)
                .chain(plan.members.iter().map(|s| s.action))
                .chain(plan.households.iter().map(|s| s.action))
                .chain(plan.assignments.iter().map(|s| s.action))
                .filter(|a| *a != Action::Same)
                .count();
            let mut progress =
                crate::progress::Progress::new(format!("Đang nhập {name}"), rows as u64, "dòng");
            let by = crate::access::accounts::By::Cli;
            import::apply(&mut tx, by, &plan, &name, now, &mut || progress.advance(1)).await?;
            progress.finish();
            tx.commit().await?;
            writeln!(out, "Đã nhập {name}.")?;
        } else {
            writeln!(out, "Chạy thử, chưa nhập gì. Thêm --apply để nhập.")?;
        }
        Ok(())
    }
    .await;
    db.close().await;
    result
}

fn print_plan(
    plan: &hosync_core::import::Plan,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    use hosync_core::import::Action;
    for (kind, c) in plan.counts() {
        writeln!(
            out,
            "{}: {} mới, {} sửa, {} giữ nguyên",
            kind.sheet_name(),
            c.created,
            c.changed,
            c.same
        )?;
    }
    let mut line = |sheet: &str, row: u32, action: Action, what: String, changed: &[&str]| {
        let verb = match action {
            Action::Create => "thêm",
            Action::Change => "sửa",
            Action::Same => return Ok(()),
        };
        let fields = if changed.is_empty() {
            String::new()
        } else {
            format!(" ({})", changed.join(", "))
        };
        writeln!(out, "  {sheet} dòng {row}: {verb} {what}{fields}")
    };
    for s in &plan.units {
        line(&s.sheet, s.row, s.action, s.item.id.to_string(), &s.changed)?;
    }
    for s in &plan.members {
        line(&s.sheet, s.row, s.action, s.item.id.to_string(), &s.changed)?;
    }
    for s in &plan.households {
        line(&s.sheet, s.row, s.action, s.item.id.to_string(), &s.changed)?;
    }
    for s in &plan.assignments {
        let what = format!("{} → {}", s.item.household, s.item.member);
        line(&s.sheet, s.row, s.action, what, &s.changed)?;
    }
    if !plan.households_not_in_sheet.is_empty() {
        let ids: Vec<String> = plan
            .households_not_in_sheet
            .iter()
            .map(ToString::to_string)
            .collect();
        writeln!(
            out,
            "Hộ có trên hệ thống mà không có trong tệp (giữ nguyên): {}",
            ids.join(", ")
        )?;
    }
    if !plan.members_not_in_sheet.is_empty() {
        let ids: Vec<String> = plan
            .members_not_in_sheet
            .iter()
            .map(ToString::to_string)
            .collect();
        writeln!(
            out,
            "Đảng viên có trên hệ thống mà không có trong tệp (giữ nguyên): {}",
            ids.join(", ")
        )?;
    }
    for e in &plan.errors {
        let at = if e.column.is_empty() {
            format!("{} dòng {}", e.sheet, e.row)
        } else {
            format!(
                "{} dòng {}, cột {} ({})",
                e.sheet, e.row, e.column, e.header
            )
        };
        writeln!(out, "Lỗi: {at}: {}", e.message)?;
    }
    Ok(())
}
