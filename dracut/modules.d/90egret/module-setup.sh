#!/bin/bash
# dracut module for egret: writes the instance's users, keys, hostname and
# files into the real root before the switch. Installed by dracut/install;
# taken into an initramfs only when asked for (`dracut --add egret`, or
# `add_dracutmodules+=" egret "` in a dracut.conf.d file).
# shellcheck disable=SC2154 # initdir, moddir, systemdsystemunitdir: dracut's

# Never by default: egret writes into the real root of every boot.
check() {
    [ -x "${EGRET_BINARY:-/usr/bin/egret}" ] || return 1
    return 255
}

# egret talks to no daemon and needs no other module; with systemd in the
# initramfs it runs as a unit, else from the pre-pivot hook.
depends() {
    return 0
}

installkernel() {
    # Where these are modules (on most distribution kernels): the firmware
    # sources (fw_cfg, SMBIOS OEM strings), the seed media (CD-ROMs, virtio
    # and SCSI disks), and the NICs and packet sockets of the metadata-server
    # sources. Built-in ones are skipped by instmods. hostonly='' because
    # none of these need to be present when the image is built.
    hostonly='' instmods qemu_fw_cfg dmi-sysfs \
        sr_mod cdrom ata_piix ahci virtio_blk virtio_scsi sd_mod nvme \
        af_packet virtio_net e1000 e1000e ena gve vmxnet3 hv_netvsc ixgbevf
}

install() {
    # EGRET_BINARY: a build tree's binary instead of the installed one.
    inst_simple "${EGRET_BINARY:-/usr/bin/egret}" /usr/bin/egret
    # The image's egret.conf (default user, config-drive admin_pass), for
    # images that keep it outside the root; the root's own wins.
    [ -f /etc/egret/egret.conf ] && inst_simple /etc/egret/egret.conf
    # No modalias loads these two: load them before egret looks.
    mkdir -p "$initdir/etc/modules-load.d"
    printf '%s\n' qemu_fw_cfg dmi-sysfs >"$initdir/etc/modules-load.d/egret.conf"
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/egret.service" "$systemdsystemunitdir/egret.service"
        inst_simple "$moddir/egret-strict.service" "$systemdsystemunitdir/egret-strict.service"
        $SYSTEMCTL -q --root "$initdir" add-wants initrd.target egret.service
        # Required, not wanted: with egret.strict a failure fails
        # initrd.target too, and the switch never happens.
        $SYSTEMCTL -q --root "$initdir" add-requires initrd.target egret-strict.service
    else
        inst_hook pre-pivot 50 "$moddir/egret-pre-pivot.sh"
    fi
}
