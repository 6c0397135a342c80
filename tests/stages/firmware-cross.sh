#!/usr/bin/env bash
# The firmware on its target: builds firmware/ as its own meson project
# with the arm-none-eabi cross file, runs the core's unit tests on the
# Cortex-M3 under qemu-system-arm (meson test, through the cross file's
# exe_wrapper), checks that they report exactly what the same tests report
# natively (check for check, line for line), checks sonae-node.elf for the
# core entry points and the flash/RAM budget, and boots it once.
# Ends with its own line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
out=$top/build-firmware-arm
host=$top/build

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: firmware-cross: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: firmware-cross: $1"; }
finish() { echo "$passed passed, $failed failed"; exit $((failed > 0)); }

for tool in arm-none-eabi-gcc arm-none-eabi-nm arm-none-eabi-size qemu-system-arm; do
        if ! command -v $tool >/dev/null; then
                fail "$tool is not installed"
                finish
        fi
done

if [[ ! -f $out/build.ninja ]]; then
        if ! meson setup "$out" firmware --cross-file firmware/cross/arm-none-eabi.txt \
                -Dwerror=true >/dev/null; then
                fail "meson setup of the cross project"
                finish
        fi
fi
if ninja -C "$out" >"$out/build-log.txt" 2>&1; then
        pass "cross build (arm-none-eabi-gcc, newlib-nano, -Werror)"
        grep -A8 'sonae-node.elf  :' "$out/build-log.txt" || true
else
        tail -40 "$out/build-log.txt"
        fail "cross build"
        finish
fi

# 1. The unit tests on the target.
meson test -C "$out" --print-errorlogs >/dev/null 2>&1
counts=$(python3 - "$out/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
try:
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    if t["result"] == "OK":
        ok += 1
    else:
        bad += 1
        print(f"FAIL: firmware-cross: {t['name']} on qemu ({t['result']})", file=sys.stderr)
        print(t.get("stdout", ""), file=sys.stderr)
print(ok, bad)
PY
)
read -r ok bad <<<"$counts"
passed=$((passed + ok))
failed=$((failed + bad))
((ok + bad > 0)) || fail "no unit tests ran under QEMU"

# 2. Same tests, same counts, same output as the native run (the outputs
#    include every derived figure, e.g. the filter's error over a noisy
#    series, so this also shows the arithmetic agrees bit for bit).
for elf in "$out"/core/tests/test-fw-*.elf "$out"/drivers/test-drv-*.elf; do
        name=$(basename "$elf" .elf)
        native=$host/firmware/core/tests/$name
        [[ $name == test-drv-* ]] && native=$host/firmware/drivers/$name
        if [[ ! -x $native ]]; then
                fail "$name: no native build to compare with (run the root build first)"
                continue
        fi
        target_out=$(timeout 120 qemu-system-arm -M mps2-an385 -cpu cortex-m3 \
                -semihosting-config enable=on,target=native -nographic -monitor none \
                -serial none -kernel "$elf" 2>&1)
        native_out=$("$native" 2>&1)
        if [[ "$target_out" == "$native_out" ]]; then
                pass "$name: QEMU and native agree ($(tail -1 <<<"$native_out"))"
        else
                fail "$name: QEMU and native outputs differ"
                diff <(echo "$native_out") <(echo "$target_out") | head -20
        fi
done

# The same number of test programs on both sides (core and drivers).
n_target=$(find "$out/core/tests" "$out/drivers" -maxdepth 1 -name 'test-*.elf' | wc -l)
n_native=$(find "$host/firmware/core/tests" "$host/firmware/drivers" -maxdepth 1 -type f \
        -name 'test-*' -perm -u+x | wc -l)
if ((n_target == n_native && n_target > 0)); then
        pass "$n_target core test programs on the target, $n_native natively"
else
        fail "core test programs: $n_target on the target, $n_native natively"
fi

# 3. The application image: core entry points linked in.
node=$out/ports/mps2-an385/node/sonae-node.elf
syms=$(arm-none-eabi-nm "$node" 2>/dev/null)
missing=()
for s in node_run node_session fwq_open fwq_push fwq_ack fw_uplink_build fw_resend_build \
        senml_enc_begin senml_enc_add fw_measure_compute fw_temp_filter_feed \
        fw_report_measured fw_time_network fw_time_hint fw_downlink_parse \
        mqtt_enc_connect mqtt_enc_publish_head mqtt_enc_subscribe mqtt_decode mqtt_frame \
        mqtt_inflight_due hal_nvm_write ranger_burst modem_open Reset_Handler; do
        grep -qE " T $s\$" <<<"$syms" || missing+=("$s")
done
if ((${#missing[@]} == 0)); then
        pass "sonae-node.elf links the core entry points"
else
        fail "sonae-node.elf lacks: ${missing[*]}"
fi

# 4. Budget: flash = .text + .data (+ exidx); RAM = .data + .bss + a 2 KB
#    stack reserve.  The emulated FRAM (.fram) is not RAM.
read -r flash ram < <(arm-none-eabi-size -A "$node" | awk '
        $1 == ".text" || $1 == ".ARM.exidx" { f += $2 }
        $1 == ".data" { f += $2; r += $2 }
        $1 == ".bss" { r += $2 }
        END { print f, r + 2048 }')
echo "sonae-node.elf: flash $flash bytes (budget 49152), RAM $ram bytes incl. 2048 stack (budget 12288)"
if ((flash <= 49152)); then pass "flash $flash <= 48 KB"; else fail "flash $flash > 48 KB"; fi
if ((ram <= 12288)); then pass "RAM $ram <= 12 KB"; else fail "RAM $ram > 12 KB"; fi

# 5. It boots: a new epoch in a blank FRAM, a reading measured and queued,
#    the session failing for want of a network (QEMU has none).
boot=$(timeout 10 qemu-system-arm -M mps2-an385 -cpu cortex-m3 \
        -semihosting-config enable=on,target=native -nographic -monitor none -serial none \
        -kernel "$node" 2>&1)
if grep -q "sonae-node: epoch 1, queue slots 1635" <<<"$boot" &&
        grep -q "sonae-node: queued 1, sessions failed 1" <<<"$boot"; then
        pass "sonae-node.elf boots under QEMU, measures and queues"
else
        fail "sonae-node.elf boot: $boot"
fi

# 6. Provisioning on the console (UART0): the lines of a provisioning file
#    as "prov" commands, an unknown key ignored; then a set with a bad port,
#    refused whole (the board keeps its default identity).
qemu_prov() {
        printf "$1" | timeout 10 qemu-system-arm -M mps2-an385 -cpu cortex-m3 \
                -semihosting-config enable=on,target=native -nographic -monitor none \
                -serial stdio -kernel "$node" 2>&1
}
good='prov device=br-qemu-7\r\nprov username=br-qemu-7\r\nprov password=s3cret\r\n'
good+='prov host=mqtt.example.jp\r\nprov port=8883\r\nprov colour=blue\r\nprov end\r\n'
prov=$(qemu_prov "$good")
if grep -q "sonae-node: provisioned br-qemu-7" <<<"$prov" &&
        grep -q "ok unknown key ignored" <<<"$prov"; then
        pass "sonae-node.elf takes its provisioning as prov commands on the console"
else
        fail "console provisioning: $prov"
fi
prov=$(qemu_prov 'prov device=br-qemu-8\r\nprov port=99999\r\nprov password=x\r\nprov host=h\r\nprov port=1\r\nprov end\r\n')
if grep -q "error bad line" <<<"$prov" && grep -q "error provisioning refused" <<<"$prov" &&
        ! grep -q "provisioned br-qemu-8" <<<"$prov"; then
        pass "a provisioning with a bad line is refused whole"
else
        fail "console provisioning with a bad line: $prov"
fi

finish
