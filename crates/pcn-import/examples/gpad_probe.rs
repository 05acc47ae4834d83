fn main() {
    let opts = pcn_import::ImportOptions {
        as_at: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
    };
    for p in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        match pcn_import::read_path(std::path::Path::new(&p), &opts, &mut |_| {}) {
            Ok(f) => {
                println!(
                    "{p}: {} {} rows {} facts {:?} in {:?}",
                    f.kind.name(),
                    f.rows,
                    f.facts.len(),
                    f.notes,
                    t.elapsed()
                );
                for tb in &f.facts.appointments {
                    println!(
                        "  table edition {:?} areas {} rows {} total {}",
                        tb.edition,
                        tb.areas.len(),
                        tb.rows.len(),
                        tb.total()
                    );
                }
                for m in f.facts.national_appointments.iter().take(2) {
                    println!("  {:?}", m);
                }
            }
            Err(e) => println!("{p}: ERROR {e}"),
        }
    }
}
