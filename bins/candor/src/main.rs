//! The `candor` command; everything lives in the library.

// mimalloc, not the C library's allocator: parsing and caching allocate
// many small objects (names, signatures, records), and under glibc's
// malloc a third of the CPU a validated name costs went to the allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(candor::run(std::env::args_os()))
}
