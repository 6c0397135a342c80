/* Reset and vector table of the MPS2 AN385 (Cortex-M3) under QEMU: copies
 * .data, clears .bss, runs main and hands its result to semihosting as
 * QEMU's exit code.  Faults end the run with code 3 instead of hanging. */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void) __attribute__((weak, alias("Default_Tick")));
void Default_Tick(void);

void Default_Tick(void)
{
}

void Default_Handler(void)
{
        static const char msg[] = "fault: stopped\n";
        semihost_write(msg, sizeof(msg) - 1);
        semihost_exit(3);
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[32])(void) = {
    (void (*)(void))(&_estack),
    Reset_Handler,
    Default_Handler, /* NMI */
    Default_Handler, /* HardFault */
    Default_Handler, /* MemManage */
    Default_Handler, /* BusFault */
    Default_Handler, /* UsageFault */
    0,
    0,
    0,
    0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMon */
    0,
    Default_Handler, /* PendSV */
    SysTick_Handler,
};

void Reset_Handler(void)
{
        uint32_t *src = &_sidata, *dst;
        for (dst = &_sdata; dst < &_edata;)
                *dst++ = *src++;
        for (dst = &_sbss; dst < &_ebss;)
                *dst++ = 0;
        semihost_exit(main());
}
