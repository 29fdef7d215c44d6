//! The EDM power ("rho") schedule and its variants: scaled by sigma_data (Boltz, AF3, Chai), with or
//! without a final 0, Protenix's i/N grid and Chai's midpoint times.

crate::choice::choices! {
    /// Where the step times sit on [0, 1].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScheduleTimes {
        /// t_i = i / (N - 1): the first sigma is sigma_max and the last sigma_min (EDM, Boltz).
        Endpoints = "endpoints",
        /// t_i = i / N for i < N, then the final 0 in place of sigma_min (Protenix
        /// `protenix/model/generator.py`, `InferenceNoiseScheduler.__call__`: N + 1 points, the last replaced by
        /// 0): the last non-zero sigma sits one grid step above sigma_min.
        Protenix = "protenix",
        /// t_i = (2 i + 1) / (2 N), Chai-1's `linspace(0, 1, 2N+1)[1::2]`: neither endpoint is reached.
        Midpoints = "midpoints",
    }
}

/// The parameters of a power schedule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ScheduleSpec {
    /// sigma_min (in sigma_data units when `scale_by_sigma_data`).
    pub sigma_min: f64,
    /// sigma_max (in sigma_data units when `scale_by_sigma_data`).
    pub sigma_max: f64,
    /// rho, the power of the schedule.
    pub rho: f64,
    /// Number of sampling steps N.
    pub steps: usize,
    /// sigma_data, Å.
    pub sigma_data: f64,
    /// Multiply the schedule by sigma_data (Boltz, AF3, Chai, the seed-002 sampler).
    pub scale_by_sigma_data: bool,
    /// Append a final sigma of 0 so the last step lands on the data.
    pub append_zero: bool,
    /// Endpoint or midpoint times.
    pub times: ScheduleTimes,
}

impl ScheduleSpec {
    /// The sigmas in Å: N values (N + 1 with the final 0).
    ///
    /// EDM (Karras et al. 2022), eq. 5: sigma_i = (sigma_max^(1/rho) + t_i (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho;
    /// Boltz `sample_schedule` multiplies by sigma_data and pads a 0.
    pub fn sigmas(&self) -> Vec<f64> {
        let n = self.steps.max(1);
        let (lo, hi) = (
            self.sigma_min.powf(1.0 / self.rho),
            self.sigma_max.powf(1.0 / self.rho),
        );
        let scale = if self.scale_by_sigma_data {
            self.sigma_data
        } else {
            1.0
        };
        let mut sigmas: Vec<f64> = (0..n)
            .map(|i| {
                let t = match self.times {
                    ScheduleTimes::Endpoints if n == 1 => 0.0,
                    ScheduleTimes::Endpoints => i as f64 / (n - 1) as f64,
                    ScheduleTimes::Protenix => i as f64 / n as f64,
                    ScheduleTimes::Midpoints => (2 * i + 1) as f64 / (2 * n) as f64,
                };
                scale * (hi + t * (lo - hi)).powf(self.rho)
            })
            .collect();
        if self.append_zero {
            sigmas.push(0.0);
        }
        sigmas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boltz2(steps: usize) -> ScheduleSpec {
        ScheduleSpec {
            sigma_min: 1e-4,
            sigma_max: 160.0,
            rho: 7.0,
            steps,
            sigma_data: 16.0,
            scale_by_sigma_data: true,
            append_zero: true,
            times: ScheduleTimes::Endpoints,
        }
    }

    #[test]
    fn endpoints_reach_sigma_max_and_min_times_sigma_data() {
        let s = boltz2(200).sigmas();
        assert_eq!(s.len(), 201);
        assert!((s[0] - 2560.0).abs() < 1e-9);
        assert!((s[199] - 1.6e-3).abs() < 1e-12);
        assert_eq!(s[200], 0.0);
        assert!(s.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn midpoints_stay_inside() {
        let spec = ScheduleSpec {
            sigma_max: 80.0,
            sigma_min: 4e-4,
            times: ScheduleTimes::Midpoints,
            append_zero: false,
            ..boltz2(200)
        };
        let s = spec.sigmas();
        assert_eq!(s.len(), 200);
        // Chai-1: the first sigma is about 1262 Å, below 80 * 16 = 1280.
        assert!((s[0] - 1262.0).abs() < 1.0, "{}", s[0]);
        assert!(s[199] > 4e-4 * 16.0);
    }

    #[test]
    fn protenix_grid_is_i_over_n_with_the_last_point_zero() {
        let spec = ScheduleSpec {
            times: ScheduleTimes::Protenix,
            ..boltz2(200)
        };
        let sigmas = spec.sigmas();
        assert_eq!(sigmas.len(), 201);
        assert_eq!(*sigmas.last().unwrap(), 0.0);
        // t = 199/200: one grid step above sigma_min, not sigma_min itself.
        let (lo, hi) = (1e-4f64.powf(1.0 / 7.0), 160f64.powf(1.0 / 7.0));
        let last = 16.0 * (hi + 199.0 / 200.0 * (lo - hi)).powf(7.0);
        assert!((sigmas[199] - last).abs() < 1e-12 * last.max(1.0));
        assert!(sigmas[199] > 16.0 * 1e-4 * 1.2, "{}", sigmas[199]);
        assert!((sigmas[0] - 16.0 * 160.0).abs() < 1e-9);
    }
}
