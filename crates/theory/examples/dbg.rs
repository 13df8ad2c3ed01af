use theory::*;
fn main() {
    let s: Spectrum = "power:d=1000,a=1".parse().unwrap();
    let t0 = std::time::Instant::now();
    let mut ev = 0;
    for b in [1.0, 8.0, 64.0, 512.0, 4096.0, 32768.0] { let t = tune(&s, Family::Asgd, b, Objective::Rate, Target::default()).unwrap(); ev += t.evaluations; print!("{:.5} ", t.rate.efold().unwrap()); }
    println!("\n{:?} evals {ev}", t0.elapsed());
}
