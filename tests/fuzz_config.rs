//! The fuzz targets' configuration from the environment: a bad value names
//! its variable. (A test binary of its own: it sets the process's
//! environment, which the other tests' threads would see.)

#[test]
fn a_bad_switch_names_its_variable() {
    for variable in ["FUTEX_DIFF_FEEDBACK", "FUTEX_DIFF_MUTATE"] {
        std::env::set_var(variable, "sometimes");
        let error = futex_diff::fuzz::FuzzConfig::from_env().err().unwrap();
        std::env::remove_var(variable);
        assert!(error.contains(variable), "{error}");
        assert!(futex_diff::fuzz::FuzzConfig::from_env().is_ok());
    }
}
