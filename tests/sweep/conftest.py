import pytest


@pytest.fixture(autouse=True)
def _restore_thread_limits():
    """run_point limits Numba and BLAS to one thread; the fast tests run it in this
    process, so put back what the other tests expect."""
    import numba
    import threadpoolctl

    n_numba = numba.get_num_threads()
    before = {p["prefix"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    yield
    numba.set_num_threads(n_numba)
    now = {p["prefix"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    if now != before:
        threadpoolctl.threadpool_limits(limits=before)
