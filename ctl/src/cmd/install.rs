//! `ramdiskctl install`: the kernel-driver service and its Parameters (`sc create` + `reg add`).

use super::Ctx;
use crate::cli::{InstallArgs, ParamValue};
use crate::error::CtlError;
use crate::scm;

/// binPath as given, with a `\\?\` prefix (from canonicalisation) removed.
fn bin_path(sys: &str) -> String {
    let p = std::path::Path::new(sys);
    let abs =
        std::fs::canonicalize(p).map_or_else(|_| sys.to_string(), |a| a.display().to_string());
    abs.strip_prefix(r"\\?\")
        .map_or(abs.clone(), str::to_string)
}

pub fn run(ctx: &Ctx, args: &InstallArgs) -> Result<(), CtlError> {
    let path = bin_path(&args.sys);
    scm::create_service(&path, args.start.code())?;
    let params = args.parameters();
    if let Err(e) = scm::write_parameters(&params) {
        // Do not leave a half-configured service behind.
        if let Ok(svc) = scm::open_service() {
            let _ = scm::delete(&svc);
        }
        return Err(e);
    }
    let shown: Vec<String> = params
        .iter()
        .map(|(n, v)| match v {
            ParamValue::Dword(x) => format!("{n}={x}"),
            ParamValue::Qword(x) => format!("{n}={x} (REG_QWORD)"),
            ParamValue::Sz(s) => format!("{n}=\"{s}\""),
        })
        .collect();
    let json_params: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(n, v)| {
            let j = match v {
                ParamValue::Dword(x) => serde_json::json!(x),
                ParamValue::Qword(x) => serde_json::json!(x),
                ParamValue::Sz(s) => serde_json::json!(s),
            };
            ((*n).to_string(), j)
        })
        .collect();
    ctx.print(
        &serde_json::json!({"service": scm::SERVICE, "bin_path": path, "start": format!("{:?}", args.start).to_lowercase(), "parameters": json_params}),
        &format!(
            "installed service {} ({path}, start {:?}){}",
            scm::SERVICE,
            args.start,
            if shown.is_empty() { String::new() } else { format!("\n  Parameters: {}", shown.join(", ")) }
        ),
    );
    Ok(())
}
