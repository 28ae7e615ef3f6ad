/** The collector's test site with tags on two meters, for alert rule scopes. */
import { checkSite } from '../../core/site/load.ts';
import type { SiteModel } from '../../core/site/schema.ts';
import { collectorTestSite } from '../../collector/testing/site.ts';

/** collectorTestSite(siteId) with `tags: [hvac-plant]` on hvac and `tags: [tenant]` on lighting. */
export function alertTestSite(siteId = 'alert-site'): SiteModel {
  const site = collectorTestSite(siteId);
  return checkSite({
    ...site,
    devices: site.devices.map((d) => d.id === 'hvac' ? { ...d, tags: ['hvac-plant'] } : d.id === 'lighting' ? { ...d, tags: ['tenant'] } : d),
  });
}
