"""A breakpoint on the trap vector: after an ecall (which retires) and after a load access fault
(which does not); reverse-stepi from the handler goes back to the faulting instruction."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gdbtest import *  # noqa: E402,F403


def body():
    run("hbreak trap_vector_m")
    run("continue")
    check_eq("ecall: at the vector", pc(), address("trap_vector_m"))
    check_eq("ecall: mcause 11", reg("mcause"), 11)
    at_ecall = icount()
    run("reverse-stepi")
    check_eq("ecall: one back is the ecall", pc(), address("ecall_site"))
    check_eq("ecall: it retired", icount(), at_ecall - 1)
    run("continue")
    run("continue")
    check_eq("fault: at the vector", pc(), address("trap_vector_m"))
    check_eq("fault: mcause 5", reg("mcause"), 5)
    check_eq("fault: mepc", reg("mepc"), address("fault_site"))
    at_fault = icount()
    run("reverse-stepi")
    check_eq("fault: one back is the load, before the trap", pc(), address("fault_site"))
    check_eq("fault: nothing retired", icount(), at_fault)
    run("stepi")
    check_eq("fault: stepi enters the trap again", pc(), address("trap_vector_m"))
    run("delete")
    run("continue")


main(body)
