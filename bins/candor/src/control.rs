//! `candor control ...`: one command line to a running `candor serve`'s
//! control socket ([`candor_server::control`] serves it), its answer
//! printed; exit 0 when the last line is `ok`.

use candor_server::control::{candidates, default_socket};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::ControlArgs;

/// `candor control ...`: send one command, print the answer.
pub(crate) fn run(args: &ControlArgs) -> u8 {
    if args.command.is_empty() {
        eprintln!(
            "candor control: expected flush [NAME] | nta add ZONE [SECONDS] | nta list | nta remove ZONE | stats [--json] | expiring | why NAME [TYPE] [--json] [--trace]"
        );
        return crate::EXIT_USAGE;
    }
    // Without --control: the first place where a socket exists (root
    // finds a user's server and the reverse), else the default.
    let tried = candidates();
    let path =
        args.socket.clone().or_else(|| tried.iter().find(|p| p.exists()).cloned()).unwrap_or_else(default_socket);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("candor control: {e}");
            return 1;
        }
    };
    rt.block_on(async {
        let mut s = match UnixStream::connect(&path).await {
            Ok(s) => s,
            Err(e) => {
                let looked = if args.socket.is_some() {
                    String::new()
                } else {
                    let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                    format!("; looked in {}; give the server's with --control PATH", list.join(", "))
                };
                eprintln!("candor control: {}: {e} (is candor serve running?){looked}", path.display());
                return 1;
            }
        };
        if s.write_all(format!("{}\n", args.command.join(" ")).as_bytes()).await.is_err() {
            eprintln!("candor control: the server closed the socket");
            return 1;
        }
        let mut lines = BufReader::new(s).lines();
        let mut last = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{line}");
            last = line;
        }
        if last == "ok" { 0 } else { 1 }
    })
}
