//! `ramdiskctl install`: the kernel-driver service and its Parameters (`sc create` + `reg add`).

use super::Ctx;
use crate::cli::InstallArgs;
use crate::error::CtlError;
use crate::report::InstallReport;
use crate::scm;

/// binPath as given, with a `\\?\` prefix (from canonicalisation) removed.
fn bin_path(sys: &str) -> String {
    let p = std::path::Path::new(sys);
    let abs =
        std::fs::canonicalize(p).map_or_else(|_| sys.to_string(), |a| a.display().to_string());
    abs.strip_prefix(r"\\?\")
        .map_or_else(|| abs.clone(), str::to_string)
}

pub fn run(ctx: &Ctx, args: &InstallArgs) -> Result<(), CtlError> {
    let path = bin_path(&args.sys);
    scm::create_service(&path, args.start.code())?;
    let params = args.parameters();
    let configured = scm::write_parameters(&params).and_then(|()| scm::write_event_source(&path));
    if let Err(e) = configured {
        // Do not leave a half-configured service behind (it is the one just created).
        if let Ok(svc) = scm::open_service() {
            let _ = scm::delete(&svc);
        }
        let _ = scm::delete_event_source();
        return Err(e);
    }
    ctx.print(&InstallReport {
        service: scm::SERVICE,
        bin_path: path,
        start: args.start,
        parameters: params,
    });
    Ok(())
}
