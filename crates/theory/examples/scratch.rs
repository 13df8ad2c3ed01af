use theory::*;
fn main() {
    let s: Spectrum = "power:d=1000,a=1".parse().unwrap();
    let m = Method::Hb{lr:0.1, momentum:0.9};
    let t0 = std::time::Instant::now();
    let mut acc = 0.0;
    for i in 0..1000 { acc += rate(&s, &m, 1.0 + i as f64).rho; }
    println!("rate eval {:?} per call ({acc})", t0.elapsed()/1000);
    let dynm = GaussianDynamics::new(&s, &m, 4.0);
    let mut mo = Moments::isotropic(1000);
    let t0 = std::time::Instant::now();
    for _ in 0..10000 { dynm.step(&mut mo); }
    println!("step {:?} per step loss {}", t0.elapsed()/10000, dynm.loss(&mo));
    let batches: Vec<f64> = (0..32).map(|k| 2f64.powf(k as f64 * 0.5)).collect();
    let t0 = std::time::Instant::now();
    let p = phase(&s, &[Family::Sgd, Family::Hb, Family::Nag, Family::Asgd], &batches, Objective::Rate, Target::default()).unwrap();
    println!("phase {:?}", t0.elapsed());
    for f in [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd] {
      let t0 = std::time::Instant::now();
      let t = tune(&s, f, 1.0, Objective::Rate, Target::default()).unwrap();
      println!("{f} {:?} evals {} {:?}", t0.elapsed(), t.evaluations, t.rate);
    }
    println!("{:?}", p.saturation);
}
