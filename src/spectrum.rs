//! `momlab spectrum`.

use crate::{args, output};
use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Spectrum specification, e.g. power:d=1000,a=1.0 (see README).
    #[arg(long)]
    spectrum: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let s = args::spectrum_within("spectrum", &a.spectrum, |_| Vec::new())?.summary();
    if a.json {
        return output::print_json(&s);
    }
    println!("d            {}", s.d);
    println!("lambda_max   {}", s.lambda_max);
    println!("lambda_min   {}", s.lambda_min);
    println!("trace        {}", s.trace);
    println!("kappa        {}", s.kappa);
    println!("B_sgd = tr/L {}", s.b_sgd);
    println!("B_hb         {}", s.b_hb);
    if s.dropped_zeros > 0 {
        println!("dropped {} zero eigenvalues", s.dropped_zeros);
    }
    Ok(())
}
