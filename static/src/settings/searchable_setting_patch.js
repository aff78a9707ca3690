import { patch } from "@web/core/utils/patch";
import { browser } from "@web/core/browser/browser";
import { onMounted } from "@odoo/owl";
import { SearchableSetting } from "@web/webclient/settings_form_view/settings/searchable_setting";

/**
 * "Back to the CodaBox settings" (the consent callback's page) links to the settings with
 * the anchor #codabox_connection. Odoo highlights the setting an anchor names but does not
 * scroll to it, and the settings page sets its scroll position back to the top once its
 * settings are mounted, so the user landed at the top of a long page. Scroll the CodaBox
 * setting into view after that, and only this one: other modules' settings keep Odoo's
 * behaviour.
 */
const CODABOX_SETTING_ID = "codabox_connection";

patch(SearchableSetting.prototype, {
    setup() {
        super.setup(...arguments);
        onMounted(() => {
            if (
                this.props.id === CODABOX_SETTING_ID &&
                browser.location.hash.substring(1) === CODABOX_SETTING_ID
            ) {
                // After the settings page's own scroll reset, which runs once its children
                // are mounted.
                browser.setTimeout(() =>
                    this.settingRef.el?.scrollIntoView({ block: "center" })
                );
            }
        });
    },
});
