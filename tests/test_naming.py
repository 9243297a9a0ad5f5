"""sim.config.naming: a sweep run's folder name is stable, unique and readable."""

from sim.config.naming import run_key


def test_run_key_is_stable_and_distinct():
    a = run_key("campaign.push_coupon.discount=0.1,seed=0")
    assert a == run_key("campaign.push_coupon.discount=0.1,seed=0")
    assert a != run_key("campaign.push_coupon.discount=0.1,seed=1")
    assert "/" not in run_key("a=x/y") and run_key("") .startswith("defaults-")


def test_run_folder_names_stay_readable_and_distinct_for_long_overrides():
    keys = [run_key(f"campaign.push_coupon.discount={d},campaign.push_coupon.radius_km={r},"
                    f"behavior.outside_utility=3.14159265,seed=0")
            for d, r in ((0.123456, 2.5), (0.123457, 2.5), (0.2, 1.25))]
    assert len(set(keys)) == 3
    assert keys[2].startswith("discount=0.2,radius_km=1.25,outside_utility=3.142,seed=0-")
    assert len({k.rsplit("-", 1)[0] for k in keys}) >= 2  # the readable parts differ, not only hashes
