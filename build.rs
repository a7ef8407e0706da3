//! Build script for the `ramdisk` driver: `wdk-build` turns the WDK found in the
//! environment (`WDKContentRoot` or the registry) into linker flags for a WDM driver.

fn main() -> Result<(), wdk_build::ConfigError> {
    wdk_build::configure_wdk_binary_build()
}
