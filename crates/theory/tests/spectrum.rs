//! Spectrum families, the specification parser, files, data matrices and the summary.

use std::io::Write;
use theory::Spectrum;

fn parse(spec: &str) -> Spectrum {
    spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn error(spec: &str) -> String {
    spec.parse::<Spectrum>().expect_err(spec).to_string()
}

#[test]
fn power_law_summary() {
    let s = parse("power:d=100,a=1");
    let sum = s.summary();
    let harmonic: f64 = (1..=100).map(|i| 1.0 / i as f64).sum();
    assert_eq!(sum.d, 100);
    assert_eq!((sum.lambda_max, sum.lambda_min), (1.0, 0.01));
    assert!((sum.trace - harmonic).abs() < 1e-12);
    assert!((sum.kappa - 100.0).abs() < 1e-9);
    assert!((sum.b_sgd - harmonic).abs() < 1e-12);
    assert!((sum.b_hb - harmonic / 0.1).abs() < 1e-9);
    // docs/theory.md §5 sanity numbers: B_sgd = 5.19, B_hb = 51.9.
    assert!((sum.b_sgd - 5.19).abs() < 0.005 && (sum.b_hb - 51.9).abs() < 0.05);
    let scaled = parse("power:d=10,a=2,s=3");
    assert_eq!(scaled.eigenvalues()[1], 3.0 * 0.25);
}

#[test]
fn uniform_and_cluster() {
    let u = parse("uniform:d=5,lo=0.2,hi=1");
    for (x, y) in u.eigenvalues().iter().zip([1.0, 0.8, 0.6, 0.4, 0.2]) {
        assert!((x - y).abs() < 1e-15, "{x} vs {y}");
    }
    let c = parse("cluster:d=10,lo=0.01,hi=1,frac=0.3");
    assert_eq!(c.eigenvalues().iter().filter(|&&x| x == 1.0).count(), 3);
    assert_eq!(parse("two-cluster:d=10,lo=0.01,hi=1,high=2").eigenvalues().iter().filter(|&&x| x == 1.0).count(), 2);
}

#[test]
fn marchenko_pastur_sample_is_seeded_and_inside_the_bulk() {
    let a = parse("mp:d=50,n=200,seed=3");
    assert_eq!(a, parse("mp:d=50,n=200,seed=3"));
    assert_ne!(a, parse("mp:d=50,n=200,seed=4"));
    let ratio: f64 = 50.0 / 200.0;
    let (edge_lo, edge_hi) = ((1.0 - ratio.sqrt()).powi(2), (1.0 + ratio.sqrt()).powi(2));
    assert!(a.lambda_max() < edge_hi * 1.15 && a.lambda_min() > edge_lo * 0.7, "{:?}", a.summary());
    // Mean eigenvalue = tr(X^T X)/(n d) = mean of n d squared normals: 1 within 4 SE.
    let se = (2.0f64 / (50.0 * 200.0)).sqrt();
    assert!((a.trace() / 50.0 - 1.0).abs() < 4.0 * se);
    // n < d: d - n exact zeros are dropped.
    let wide = parse("mp:d=30,n=10,seed=1").summary();
    assert_eq!((wide.d, wide.dropped_zeros), (10, 20));
}

#[test]
fn files_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("eig.txt");
    std::fs::write(&lines, "# eigenvalues\n0.5\n\n2\n0\n1e-1\n").unwrap();
    let s: Spectrum = format!("file:{}", lines.display()).parse().unwrap();
    assert_eq!(s.eigenvalues(), &[2.0, 0.5, 0.1]);
    assert_eq!(s.summary().dropped_zeros, 1);
    let json = dir.path().join("eig.json");
    std::fs::write(&json, "[3, 1.5, 0.25]").unwrap();
    assert_eq!(format!("file:{}", json.display()).parse::<Spectrum>().unwrap().eigenvalues(), &[3.0, 1.5, 0.25]);

    // Two columns: the covariance [[var x, cov], [cov, var y]] has closed-form eigenvalues.
    let csv = dir.path().join("data.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    writeln!(f, "x,y").unwrap();
    let rows = [(1.0, 2.0), (2.0, 1.0), (3.0, 5.0), (4.0, 3.0), (0.0, 0.5)];
    for (x, y) in rows {
        writeln!(f, "{x},{y}").unwrap();
    }
    drop(f);
    let n = rows.len() as f64;
    let (mx, my) = (rows.iter().map(|r| r.0).sum::<f64>() / n, rows.iter().map(|r| r.1).sum::<f64>() / n);
    let cov = |a: &dyn Fn(&(f64, f64)) -> f64, b: &dyn Fn(&(f64, f64)) -> f64| {
        rows.iter().map(|r| a(r) * b(r)).sum::<f64>() / (n - 1.0)
    };
    let (sxx, syy, sxy) =
        (cov(&|r| r.0 - mx, &|r| r.0 - mx), cov(&|r| r.1 - my, &|r| r.1 - my), cov(&|r| r.0 - mx, &|r| r.1 - my));
    let (t, det) = (sxx + syy, sxx * syy - sxy * sxy);
    let disc = (t * t / 4.0 - det).sqrt();
    let s: Spectrum = format!("data:{}", csv.display()).parse().unwrap();
    assert!((s.lambda_max() - (t / 2.0 + disc)).abs() < 1e-12);
    assert!((s.lambda_min() - (t / 2.0 - disc)).abs() < 1e-12);
}

#[test]
fn bad_specifications_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "1,2\n3\n").unwrap();
    let text_csv = dir.path().join("text.csv");
    std::fs::write(&text_csv, "a,b\n1,x\n").unwrap();
    let nan = dir.path().join("nan.txt");
    std::fs::write(&nan, "1\nNaN\n").unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("gauss:d=3".into(), "unknown spectrum family 'gauss'"),
        ("power:d=0,a=1".into(), "d must be >= 1"),
        ("power:d=10".into(), "missing key 'a'"),
        ("power:d=10,a=1,b=2".into(), "unknown key 'b'"),
        ("power:d=ten,a=1".into(), "non-negative integer"),
        ("power:d=10,a=inf".into(), "not a finite number"),
        ("uniform:d=10,lo=1,hi=0.5".into(), "must not exceed"),
        ("uniform:d=10,lo=-1,hi=0.5".into(), "lo must be a finite number > 0"),
        ("cluster:d=10,lo=0.1,hi=1".into(), "exactly one of frac= or high="),
        ("power".into(), "must look like"),
        (format!("file:{}", dir.path().join("missing.txt").display()), "cannot read"),
        (format!("file:{}", nan.display()), "not a finite number"),
        (format!("data:{}", bad_csv.display()), "row 2 has 1 columns, expected 2"),
        (format!("data:{}", text_csv.display()), "'x' is not a number"),
    ];
    for (spec, expected) in cases {
        let e = error(&spec);
        assert!(e.contains(expected), "{spec}: got '{e}', expected '{expected}'");
        assert!(!e.contains('\n'), "{spec}: multi-line error");
    }
    assert!(Spectrum::new(vec![1.0, -0.5]).unwrap_err().to_string().contains("must be finite and >= 0"));
    assert!(Spectrum::new(vec![0.0, 0.0]).unwrap_err().to_string().contains("no positive eigenvalue"));
    assert!(Spectrum::new(vec![]).unwrap_err().to_string().contains("empty"));
}

#[test]
fn a_dimension_that_cannot_be_allocated_is_an_error_not_an_abort() {
    let d = usize::MAX / 2;
    for result in
        [Spectrum::power_law(d, 1.0, 1.0), Spectrum::uniform(d, 0.1, 1.0), Spectrum::two_cluster(d, 1, 0.1, 1.0)]
    {
        let message = result.unwrap_err().to_string();
        assert!(message.contains("cannot allocate") && message.contains("lower d"), "{message}");
    }
}
